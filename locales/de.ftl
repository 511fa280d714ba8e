# Pattmayne Auth: jedes Wort, das ein Mensch liest, auf Deutsch.
# Die Schlüssel sind nach Seiten gruppiert; en.ftl hat dieselben Schlüssel (ein Test prüft das).

## Durations (used inside other messages)

duration-seconds = { $n ->
    [one] 1 Sekunde
   *[other] { $n } Sekunden
}
duration-minutes = { $n ->
    [one] 1 Minute
   *[other] { $n } Minuten
}
duration-hours = { $n ->
    [one] 1 Stunde
   *[other] { $n } Stunden
}
duration-days = { $n ->
    [one] 1 Tag
   *[other] { $n } Tagen
}

## Every page

skip-to-content = Zum Inhalt springen
nav-main = Hauptmenü
nav-admin = Admin
nav-sign-in = Anmelden
nav-sign-out = Abmelden
footer-tagline = Eine Anmeldung für alle Websites.
footer-language = Sprache
badge-admin = Admin
badge-enabled = aktiviert
badge-disabled = deaktiviert
badge-you = du
badge-verified = bestätigt
badge-unverified = nicht bestätigt
site-on-the-way = Auf dem Weg zu { $site }
site-back-to = Zurück zu { $site }

## Start page

home-title = Willkommen
home-signed-in-as = Du bist als { $name } angemeldet. Jede Website, die diese Anmeldung nutzt, erkennt dich.
home-your-account = Dein Konto
home-intro = Melde dich hier einmal an, und du bist auf jeder Website angemeldet, die { $site } nutzt.
home-sign-in = Anmelden
home-create-account = Konto erstellen

## Sign-in

login-title = Anmelden
login-title-for = Bei { $site } anmelden
login-again-title = Erneut anmelden
login-again-note = Um fortzufahren, bittet dich die Website zu bestätigen, dass du es bist. Stattdessen kann sich hier auch jemand anderes anmelden.
login-again-submit = Weiter als { $name }
login-not-you = Nicht { $name }?
login-sign-out-first = Abmelden
login-username = Benutzername oder E-Mail
login-password = Passwort
login-submit = Anmelden
login-new-here = Neu hier?
login-create-account = Konto erstellen
login-wrong = Falscher Benutzername oder falsches Passwort.
login-wrong-last-chance = Falscher Benutzername oder falsches Passwort. Noch ein fehlgeschlagener Anmeldeversuch aus deinem Netzwerk, und Anmeldungen von dort werden für { $wait } pausiert.
login-wrong-now-paused = Falscher Benutzername oder falsches Passwort. Von deinem Netzwerk kamen zu viele fehlgeschlagene Anmeldungen, deshalb sind Anmeldungen von dort für { $wait } pausiert.
login-blank = Gib deinen Benutzernamen oder deine E-Mail-Adresse und dein Passwort ein.
login-form-expired = Dieses Formular war zu lange geöffnet, deshalb wurde nichts gesendet. Bitte melde dich noch einmal an.
login-disabled = Dieses Konto wurde deaktiviert.
login-account-wait = Zu viele fehlgeschlagene Anmeldeversuche bei diesem Konto. Du kannst es in { $wait } noch einmal versuchen.
login-busy = Gerade kommen sehr viele Anmeldungen aus deinem Netzwerk. Versuch es gleich noch einmal.
login-suspended = Aus deinem Netzwerk kamen zu viele fehlgeschlagene Anmeldeversuche, deshalb ist die Anmeldung von dort eine Weile pausiert.

## Registration

register-title = Konto erstellen
register-title-for = Konto für { $site } erstellen
register-username = Benutzername
register-username-hint = 3 bis 32 Buchstaben, Ziffern, Punkte, Bindestriche oder Unterstriche.
register-email = E-Mail
register-password = Passwort
register-password-hint = Mindestens 8 Zeichen. Ein paar Wörter, die nichts miteinander zu tun haben, ergeben ein starkes Passwort.
register-password-confirm = Passwort wiederholen
register-submit = Konto erstellen
register-have-account = Du hast schon ein Konto?
register-sign-in = Anmelden
register-closed = Die Registrierung ist auf diesem Server geschlossen. Frag einen Administrator nach einem Konto.
register-taken = Dieser Benutzername oder diese E-Mail-Adresse ist bereits registriert.
register-form-expired = Dieses Formular war zu lange geöffnet, deshalb wurde nichts gesendet. Bitte füll es noch einmal aus.
register-too-many = Aus deinem Netzwerk wurden zu viele Konten erstellt. Du kannst es in { $wait } noch einmal versuchen.

## Account fields (registration and the account page)

field-username-length = Verwende 3 bis 32 Zeichen.
field-username-characters = Verwende nur Buchstaben, Ziffern, Punkte, Bindestriche und Unterstriche.
field-username-start = Beginne mit einem Buchstaben oder einer Ziffer.
field-email-length = Gib eine E-Mail-Adresse mit höchstens 254 Zeichen ein.
field-email-shape = Gib eine E-Mail-Adresse wie name@example.com ein.
field-password-short = Verwende mindestens 8 Zeichen.
field-password-long = Verwende höchstens 128 Zeichen.
field-password-control = Passwörter dürfen keine Steuerzeichen enthalten.
field-password-weak = Dieses Passwort ist zu leicht zu erraten. Ein paar Wörter, die nichts miteinander zu tun haben, oder ein längerer Satz ergeben ein starkes Passwort.
field-password-weak-why = Dieses Passwort ist zu leicht zu erraten. { $why } Ein paar Wörter, die nichts miteinander zu tun haben, oder ein längerer Satz ergeben ein starkes Passwort.
field-password-mismatch = Die Passwörter stimmen nicht überein.

## Password strength (zxcvbn's warnings)

weak-straight-rows = Gerade Tastenreihen sind leicht zu erraten.
weak-short-keyboard = Kurze Tastaturmuster sind leicht zu erraten.
weak-repeats = Wiederholungen wie „aaa“ sind leicht zu erraten.
weak-repeats-abc = Wiederholungen wie „abcabcabc“ sind nur wenig schwerer zu erraten als „abc“.
weak-top-10 = Das ist eines der 10 häufigsten Passwörter.
weak-top-100 = Das ist eines der 100 häufigsten Passwörter.
weak-common = Das ist ein sehr häufiges Passwort.
weak-similar-common = Das ähnelt einem häufig verwendeten Passwort.
weak-sequences = Folgen wie abc oder 6543 sind leicht zu erraten.
weak-recent-years = Jahreszahlen der letzten Jahre sind leicht zu erraten.
weak-word = Ein einzelnes Wort ist leicht zu erraten.
weak-dates = Datumsangaben sind oft leicht zu erraten.
weak-names = Vor- und Nachnamen allein sind leicht zu erraten.
weak-common-names = Häufige Vor- und Nachnamen sind leicht zu erraten.

## Sign-out

logout-title = Abmelden?
logout-question = Du wirst bei { $server } und bei jeder Website abgemeldet, die diese Anmeldung nutzt.
logout-question-from = { $site } möchte dich bei { $server } und bei jeder Website abmelden, die diese Anmeldung nutzt.
logout-submit = Abmelden
logout-stay = Angemeldet bleiben
logout-bad-hint = Dieser Abmeldelink enthält ein id_token, das hier nicht gültig ist.
logout-hint-mismatch = Die client_id dieses Abmeldelinks passt nicht zu seinem id_token.
logout-not-registered = Dieser Abmeldelink nennt eine Rücksprungadresse, die für die Website nicht registriert ist.

## Account page

account-title = Dein Konto
account-email = E-Mail: { $email }
account-member-since = Mitglied seit { $date }.
account-sessions-title = Wo du angemeldet bist
account-sessions-note = Jeder Browser und jedes Gerät, mit dem du dich anmeldest, hat eine eigene Anmeldung, die eine feste Zeit lang gilt; die Websites, die du darüber nutzt, werden mit ihr abgemeldet.
account-col-device = Gerät
account-col-signed-in = Angemeldet
account-col-last-seen = Zuletzt aktiv
account-col-address = Adresse
account-col-sites = Websites
account-col-action = Aktion
account-this-browser = dieser Browser
device-browser-on-os = { $browser } auf { $os }
device-only = { $name }
account-unknown-browser = Unbekannter Browser
account-unknown = unbekannt
account-ends-in = endet in { $wait }
account-just-now = gerade eben
account-ago = vor { $wait }
account-no-sites = noch keine
account-sign-out = Abmelden
account-sign-out-everywhere = Überall abmelden

## Error pages

error-heading-400 = Dieser Link oder dieses Formular hat nicht funktioniert
error-heading-403 = Nicht erlaubt
error-heading-404 = Seite nicht gefunden
error-heading-405 = Hier nicht erlaubt
error-heading-408 = Das hat zu lange gedauert
error-heading-413 = Zu viel auf einmal
error-heading-415 = Kein Formular, das wir lesen können
error-heading-429 = Bitte warte einen Moment
error-heading-500 = Bei uns ist etwas schiefgelaufen
error-heading-503 = Gerade nicht verfügbar
error-heading-other = Etwas ist schiefgelaufen
error-status-code = Fehler { $status }
error-try-again-in = Du kannst es in { $wait } noch einmal versuchen.
error-way-start = Zur Startseite
error-way-sign-in = Anmelden
error-way-account = Zu deinem Konto
error-not-found = Unter dieser Adresse gibt es nichts.
error-too-large = Die Anfrage war zu groß.
error-too-slow = Die Anfrage hat zu lange gedauert.
error-not-a-form = Die Anfrage war keine Formularübermittlung.
error-wrong-method = Diese Adresse nimmt diese Art von Anfrage nicht an.
error-bad-request = Die Anfrage konnte nicht verstanden werden.
error-server = Das Problem wurde protokolliert. Versuch es später noch einmal.
error-nul = Die Anfrage enthält ein NUL-Zeichen.
error-form-expired = Dieses Formular war zu lange geöffnet oder kam nicht von dieser Website, deshalb wurde nichts geändert. Geh zurück, lade die Seite neu und versuch es noch einmal.
error-bad-link = Dieser Anmeldelink ist ungültig: Die Website ist unbekannt oder deaktiviert, oder ihre Rücksprungadresse ist nicht registriert.
error-admins-only = Diese Seite ist für Administratoren.
error-metrics-only = Die Metriken sind nur für die Überwachung durch den Betreiber bestimmt.

## Admin pages

admin-nav = Verwaltung
admin-nav-clients = Client-Sites
admin-nav-users = Benutzer
admin-nav-suspensions = IP-Sperren
admin-nav-audit = Audit-Log
admin-nav-mail = E-Mails
admin-cancel = Abbrechen
admin-save = Speichern
admin-copy = Kopieren
admin-copied = Kopiert
admin-copy-failed = Bitte von Hand markieren und kopieren
admin-copy-env = Als .env kopieren
admin-pages = Seiten
admin-previous = ← Zurück
admin-next = Weiter →
admin-newer = ← Neuer
admin-older = Älter →
admin-page-of = Seite { $page } von { $pages }
admin-in = in { $wait }
admin-col-name = Name
admin-col-client-id = Client-ID
admin-col-redirect-uris = Redirect-URIs
admin-col-signing = Signatur
admin-col-state = Status
admin-col-created = Erstellt
admin-col-live-tokens = Aktive Token
admin-col-address = Adresse
admin-col-lifts = Endet
admin-col-offences = Verstöße
admin-col-last-attempt = Letzter Versuch
admin-col-action = Aktion
admin-col-actions = Aktionen
admin-col-username = Benutzername
admin-col-email = E-Mail
admin-col-role = Rolle
admin-role-user = Benutzer
admin-state-active = aktiv

admin-clients-title = Client-Sites
admin-clients-add = Client-Site hinzufügen
admin-clients-none = Noch keine Client-Sites.
admin-client-new-title = Client-Site hinzufügen
admin-client-new-submit = Client-Site hinzufügen
admin-client-name = Name
admin-client-redirect-uris = Redirect-URIs
admin-client-redirect-hint = Eine pro Zeile. Absolute https-URLs ohne Fragment (http nur für localhost). Sie müssen exakt übereinstimmen.
admin-client-signing = Signatur der Access-Token
admin-client-signing-own = das eigene Secret der Client-Site
admin-client-signing-server = der Schlüssel des Servers, veröffentlicht im JWKS
admin-client-branding = So zeigt die Anmeldeseite diese Client-Site
admin-client-accent = Akzentfarbe
admin-client-accent-hint = Eine Farbe wie #2a5bd7 für die Schaltflächen, die Leute auf dem Weg zu dieser Client-Site sehen. Sie braucht genug Kontrast zu weißem Text. Leer: die Farbe des Servers.
admin-client-logo = Logo
admin-client-logo-hint = PNG, JPEG oder WebP, höchstens 256 KiB, angezeigt in 40 × 40 Pixeln.
admin-client-logo-current = Das aktuelle Logo
admin-client-logo-remove = Logo entfernen
admin-client-actions = Aktionen
admin-client-rotate = Client-Secret erneuern…
admin-client-disable = Deaktivieren…
admin-client-enable = Aktivieren
admin-client-delete = Löschen…
admin-client-name-invalid = Gib der Client-Site einen Namen mit 1 bis 100 Zeichen.
admin-client-uris-missing = Gib mindestens eine Redirect-URI an.
admin-client-uri-length = Redirect-URIs müssen 1 bis 2000 Zeichen lang sein.
admin-client-uri-spaces = { $uri } enthält Leer- oder Steuerzeichen.
admin-client-uri-not-absolute = { $uri } ist keine absolute URL.
admin-client-uri-fragment = { $uri } hat ein Fragment (#…); Redirect-URIs dürfen keins haben.
admin-client-uri-credentials = { $uri } enthält Zugangsdaten.
admin-client-uri-scheme = { $uri } muss eine http(s)-URL sein.
admin-client-uri-no-host = { $uri } hat keinen Host.
admin-client-uri-plain-http = { $uri } verwendet unverschlüsseltes http; verwende https (http ist nur für localhost erlaubt).
admin-client-accent-invalid = Gib eine Farbe als # und sechs Hexadezimalziffern an, etwa #2a5bd7.
admin-client-accent-contrast = Weißer Text auf { $color } hat einen Kontrast von { $ratio }:1; nötig ist 4.5:1. Wähle eine dunklere Farbe.
admin-client-logo-too-large = Das Logo ist größer als 256 KiB.
admin-client-logo-type = Das Logo muss ein PNG-, JPEG- oder WebP-Bild sein.

admin-created-title = Zugangsdaten
admin-created-heading = Zugangsdaten für { $site }
admin-created-once = Du wirst sie nicht noch einmal sehen.
admin-created-once-why = Kopiere sie jetzt in die Konfiguration der Client-Site; gespeichert wird nur ein Hash (oder eine verschlüsselte Kopie).
admin-created-jwt-note = der HS256-Schlüssel: die UTF-8-Bytes dieser Zeichenkette
admin-created-endpoints = Wo die Client-Site mit diesem Server spricht
admin-created-issuer = Aussteller (Issuer)
admin-created-discovery = Discovery
admin-created-authorize = Autorisierungs-Endpunkt
admin-created-token = Token-Endpunkt
admin-created-jwks = JWKS
admin-created-env = Alles auf einmal
admin-created-env-hint = Die Einstellungen oben als .env-Datei für das Backend der Client-Site.
admin-created-gone-title = Zugangsdaten werden nicht mehr angezeigt
admin-created-gone = Die Zugangsdaten wurden einmal angezeigt und nicht gespeichert. Falls sie verloren gegangen sind, erneuere das Client-Secret.
admin-created-visit = Zu { $site }
admin-created-settings = Einstellungen der Client-Site
admin-created-all = Alle Client-Sites

admin-users-title = Benutzer
admin-users-search-label = Suche
admin-users-search-placeholder = Benutzername oder E-Mail
admin-users-search = Suchen
admin-users-count = { $count ->
    [one] 1 Konto.
   *[other] { $count } Konten.
}
admin-users-count-matching = { $count ->
    [one] 1 Konto passt zu „{ $q }“.
   *[other] { $count } Konten passen zu „{ $q }“.
}
admin-users-enable = Aktivieren
admin-users-disable = Deaktivieren…
admin-users-grant-admin = Zum Admin machen…
admin-users-revoke-admin = Admin-Rechte entziehen…
admin-user-id = Konto-ID
admin-user-sessions = Wo diese Person angemeldet ist
admin-user-no-sessions = Nirgends angemeldet.
admin-user-audit = Neueste Einträge im Audit-Log
admin-user-audit-all = Alles über diese Person im Audit-Log
admin-last-admin = Das ist der letzte Admin; mach zuerst jemand anderen zum Admin.
admin-not-yourself = Du kannst dein eigenes Konto nicht deaktivieren.

admin-suspensions-title = IP-Sperren
admin-suspensions-none = Keine Adresse ist gesperrt.
admin-suspensions-lift = Aufheben

admin-audit-title = Audit-Log
admin-audit-filter-label = Audit-Log filtern
admin-audit-kind = Art
admin-audit-everything = Alles
admin-audit-admin-actions = Admin-Aktionen
admin-audit-security-events = Sicherheitsereignisse
admin-audit-person = Person (Benutzername oder ID)
admin-audit-address = Adresse
admin-audit-address-hint = Exakt, oder ein Präfix, das auf . : oder / endet
admin-audit-filter = Filtern
admin-audit-clear = Zurücksetzen
admin-audit-when = Wann
admin-audit-who = Wer
admin-audit-what = Was
admin-audit-target = Ziel
admin-audit-from = Von
admin-audit-details = Details
admin-audit-unknown = unbekannt
admin-audit-nothing = Keine Treffer.

## Confirmations and notices after admin actions

confirm-client-disable-heading = Diese Client-Site deaktivieren?
confirm-client-disable = „{ $name }“ kann dann niemanden mehr anmelden und keine Token mehr aktualisieren, bis die Client-Site wieder aktiviert wird.
confirm-client-disable-button = Deaktivieren
confirm-client-delete-heading = Diese Client-Site löschen?
confirm-client-delete = „{ $name }“ und alle dafür ausgestellten Refresh-Token werden gelöscht. Das kann nicht rückgängig gemacht werden.
confirm-client-delete-button = Löschen
confirm-client-rotate-heading = Client-Secret erneuern?
confirm-client-rotate = Das aktuelle Secret von „{ $name }“ funktioniert sofort nicht mehr; die Client-Site braucht das neue.
confirm-client-rotate-button = Secret erneuern
confirm-user-disable-heading = Dieses Konto deaktivieren?
confirm-user-disable = { $name } wird überall abgemeldet, alle Token der Client-Sites für diese Person werden widerrufen, und sie kann sich erst wieder anmelden, wenn das Konto wieder aktiviert ist.
confirm-user-disable-button = Deaktivieren
confirm-user-grant-heading = Diese Person zum Admin machen?
confirm-user-grant = { $name } kann dann Client-Sites hinzufügen und ändern, Konten deaktivieren und andere zu Admins machen.
confirm-user-grant-button = Zum Admin machen
confirm-user-revoke-heading = Admin-Rolle entziehen?
confirm-user-revoke = { $name } kann diese Seiten dann nicht mehr nutzen.
confirm-user-revoke-button = Admin-Rechte entziehen

notice-client-created = { $name } wurde hinzugefügt.
notice-client-saved = { $name } wurde gespeichert.
notice-client-disabled = { $name } wurde deaktiviert.
notice-client-enabled = { $name } wurde aktiviert.
notice-client-deleted = { $name } wurde gelöscht.
notice-client-rotated = Das Client-Secret von { $name } wurde erneuert.
notice-user-disabled = { $name } wurde deaktiviert und überall abgemeldet.
notice-user-enabled = { $name } wurde aktiviert.
notice-user-granted = { $name } ist jetzt Admin.
notice-user-revoked = { $name } ist kein Admin mehr.
notice-suspension-lifted = Die Sperre von { $ip } wurde aufgehoben.

## What the audit log says happened

audit-client-create = Client-Site hinzugefügt
audit-client-update = Client-Site geändert
audit-client-rotate-secret = Client-Secret erneuert
audit-client-enable = Client-Site aktiviert
audit-client-disable = Client-Site deaktiviert
audit-client-delete = Client-Site gelöscht
audit-user-create = Konto erstellt
audit-user-enable = Konto aktiviert
audit-user-disable = Konto deaktiviert
audit-user-grant-admin = Zum Admin gemacht
audit-user-revoke-admin = Admin-Rechte entzogen
audit-suspension-lift = Sperre aufgehoben
audit-keys-rotate = Signaturschlüssel erneuert
audit-security-sign-in = Angemeldet
audit-security-sign-in-failed = Anmeldung fehlgeschlagen
audit-security-address-suspended = Eine Adresse wurde gesperrt
audit-security-registered = Registriert
audit-security-refresh-token-reused = Ein bereits ersetztes Refresh-Token wurde erneut verwendet
audit-security-code-reused = Ein Autorisierungscode wurde erneut verwendet
audit-security-password-changed = Passwort geändert
audit-security-session-ended = Eine Anmeldung wurde beendet
audit-other = Etwas anderes

## Forgotten password and reset

login-forgot = Passwort vergessen?
login-after-reset = Dein Passwort wurde geändert, und alle Geräte wurden abgemeldet. Melde dich mit dem neuen Passwort an.
forgot-title = Neues Passwort wählen
forgot-intro = Gib die E-Mail-Adresse deines Kontos ein, dann schicken wir dir einen Link, mit dem du ein neues Passwort wählen kannst.
forgot-email = E-Mail
forgot-submit = Link zuschicken
forgot-back-to-sign-in = Zurück zur Anmeldung
forgot-form-expired = Dieses Formular war zu lange geöffnet, deshalb wurde nichts gesendet. Bitte schick es noch einmal ab.
forgot-too-many = Aus deinem Netzwerk wurden zu viele neue Passwörter angefordert. Du kannst es in { $wait } noch einmal versuchen.
forgot-sent-title = Schau in dein Postfach
forgot-sent = Falls es ein Konto mit der Adresse { $email } gibt, ist ein Link für ein neues Passwort dorthin unterwegs. Er funktioniert nur einmal und ist { $wait } lang gültig.
forgot-sent-nothing = Nach ein paar Minuten noch nichts da? Schau im Spam-Ordner nach, oder prüfe, ob das die Adresse deines Kontos ist.
reset-title = Neues Passwort wählen
reset-intro = Ein neues Passwort für { $name }. Alle Geräte, die bei diesem Konto angemeldet sind, werden abgemeldet.
reset-password = Neues Passwort
reset-password-confirm = Neues Passwort wiederholen
reset-submit = Neues Passwort speichern
reset-form-expired = Dieses Formular war zu lange geöffnet, deshalb wurde nichts geändert. Bitte gib das neue Passwort noch einmal ein.
reset-link-invalid = Dieser Link ist abgelaufen oder wurde schon verwendet. Fordere auf der Anmeldeseite unter „Passwort vergessen?“ einen neuen an.

## Confirming an address

register-sent-title = Schau in dein Postfach
register-sent = Wir haben eine E-Mail an { $email } geschickt. Folge dem Link darin, um die Registrierung abzuschließen: Er funktioniert nur einmal und ist { $wait } lang gültig.
register-sent-nothing = Nach ein paar Minuten noch nichts da? Schau im Spam-Ordner nach, oder registriere dich noch einmal.
verify-taken = Ein anderes Konto hat diesen Benutzernamen oder diese Adresse übernommen, bevor der Link geöffnet wurde. Registriere dich bitte noch einmal mit anderen Angaben.
verify-link-invalid = Dieser Link ist abgelaufen oder wurde schon verwendet. Registriere dich noch einmal, oder fordere einen neuen Link an.
verify-address-changed-title = Deine Adresse wurde geändert
verify-address-changed = Die Adresse deines Kontos ist jetzt { $email }.
verify-go-to-account = Zu deinem Konto
email-change-taken = Diese Adresse gehört inzwischen zu einem anderen Konto, deshalb bleibt deine Adresse unverändert.

## Changing the password and the address

account-change-password = Passwort ändern
account-change-email = E-Mail-Adresse ändern
change-password-title = Passwort ändern
change-password-note = Alle anderen Geräte, die bei deinem Konto angemeldet sind, werden abgemeldet; dieses hier bleibt angemeldet.
change-password-current = Aktuelles Passwort
change-password-new = Neues Passwort
change-password-confirm = Neues Passwort wiederholen
change-password-submit = Passwort ändern
change-cancel = Abbrechen
change-form-expired = Dieses Formular war zu lange geöffnet, deshalb wurde nichts geändert. Bitte schick es noch einmal ab.
change-wrong-password = Das ist nicht dein aktuelles Passwort.
change-too-many = Zu viele falsche Passwörter. Du kannst es in { $wait } noch einmal versuchen.
change-email-title = E-Mail-Adresse ändern
change-email-now = Deine E-Mail-Adresse ist { $email }.
change-email-note = Wir schicken einen Link an die neue Adresse. Sobald du ihm folgst, gehört sie zu deinem Konto, und die alte Adresse wird darüber informiert.
change-email-new = Neue E-Mail-Adresse
change-email-submit = Link an die neue Adresse schicken
change-email-same = Das ist bereits deine Adresse.
notice-password-changed = Dein Passwort wurde geändert, und alle anderen Geräte wurden abgemeldet.
notice-email-link-sent = Wir haben einen Link an { $email } geschickt. Deine Adresse ändert sich, sobald du ihm folgst.

## Admin: mail

admin-users-send-reset = Link zum Zurücksetzen senden
notice-user-reset-sent = Ein Link, mit dem { $name } ein neues Passwort wählen kann, wurde verschickt.
notice-user-reset-budget = An { $name } wurde kein Link verschickt: An diese Adresse gingen in dieser Stunde schon so viele E-Mails wie erlaubt.
notice-mail-retried = Die E-Mail ist wieder in der Warteschlange.
admin-mail-title = Wartende E-Mails
admin-mail-outbox = Es ist kein SMTP-Server eingestellt (AUTH_SMTP_URL): E-Mails werden als Dateien in { $dir } abgelegt.
admin-mail-smtp = E-Mails gehen an den SMTP-Server aus AUTH_SMTP_URL. Gesendete E-Mails verschwinden aus dieser Liste; fehlgeschlagene werden erneut versucht, in immer größeren Abständen.
admin-mail-to = An
admin-mail-kind = Art
admin-mail-queued = Eingereiht
admin-mail-state = Status
admin-mail-error = Letzter Fehler
admin-mail-failed = { $attempts ->
    [one] nach 1 Versuch aufgegeben
   *[other] nach { $attempts } Versuchen aufgegeben
}
admin-mail-retrying = { $attempts ->
    [one] einmal fehlgeschlagen; nächster Versuch in { $wait }
   *[other] { $attempts }-mal fehlgeschlagen; nächster Versuch in { $wait }
}
admin-mail-waiting = wartet
admin-mail-retry = Erneut versuchen
admin-mail-none = Es warten keine E-Mails.
audit-user-set-password = Passwort gesetzt
audit-user-reset-link = Link zum Zurücksetzen erstellt
audit-user-send-reset = Link zum Zurücksetzen verschickt
audit-user-verify-email = Adresse bestätigt
audit-mail-retry = E-Mail wieder in die Warteschlange gestellt
audit-security-reset-requested = Ein Link zum Zurücksetzen wurde verschickt
audit-security-email-changed = Adresse geändert

## Mails (plain text and HTML; { $site } is the server's name)

mail-signature = { $site }
mail-link-once = Der Link funktioniert nur einmal und ist { $wait } lang gültig.
mail-ignore = Falls du das nicht warst, kannst du diese E-Mail einfach ignorieren: Es hat sich nichts geändert.
mail-verify-subject = Bestätige deine E-Mail-Adresse für { $site }
mail-verify-intro = Jemand, wahrscheinlich du, wollte mit dieser Adresse das Konto { $username } bei { $site } erstellen. Um die Adresse zu bestätigen und das Konto zu aktivieren, folge bitte diesem Link:
mail-verify-button = Bestätigen und Konto aktivieren
mail-verify-ignore = Falls du das nicht warst, kannst du diese E-Mail einfach ignorieren: Es wird kein Konto erstellt.
mail-already-subject = Du hast schon ein Konto bei { $site }
mail-already-intro = Jemand, wahrscheinlich du, wollte mit dieser Adresse ein Konto bei { $site } erstellen. Zu dieser Adresse gibt es aber schon ein Konto: { $username }.
mail-already-sign-in = Hier kannst du dich anmelden:
mail-already-button = Anmelden
mail-already-forgot = Passwort vergessen? Unter { $forgot } kannst du ein neues wählen.
mail-taken-subject = Bitte wähle einen anderen Benutzernamen für { $site }
mail-taken-intro = Jemand, wahrscheinlich du, wollte mit dieser Adresse das Konto { $username } bei { $site } erstellen, aber dieser Benutzername ist schon vergeben. Hier kannst du es mit einem anderen noch einmal versuchen:
mail-taken-button = Konto erstellen
mail-reset-subject = Neues Passwort für { $site } wählen
mail-reset-intro = Jemand, wahrscheinlich du, möchte für das Konto { $username } bei { $site } ein neues Passwort wählen. Folge dazu bitte diesem Link:
mail-reset-button = Neues Passwort wählen
mail-reset-ignore = Falls du das nicht warst, kannst du diese E-Mail einfach ignorieren: Dein Passwort bleibt, wie es ist.
mail-password-changed-subject = Dein Passwort bei { $site } wurde geändert
mail-password-changed-intro = Das Passwort deines Kontos { $username } bei { $site } wurde gerade geändert, und alle Geräte, die damit angemeldet waren, wurden abgemeldet.
mail-password-changed-not-you = Falls du das nicht warst, wähle bitte sofort ein neues Passwort:
mail-password-changed-button = Neues Passwort wählen
mail-new-address-subject = Bestätige deine neue E-Mail-Adresse für { $site }
mail-new-address-intro = Für das Konto { $username } bei { $site } soll ab jetzt diese Adresse verwendet werden. Um sie zu bestätigen, folge bitte diesem Link:
mail-new-address-button = Neue Adresse bestätigen
mail-new-address-ignore = Falls du das nicht warst, kannst du diese E-Mail einfach ignorieren: Es ändert sich nichts.
mail-address-changed-subject = Deine E-Mail-Adresse bei { $site } wurde geändert
mail-address-changed-intro = Die Adresse deines Kontos { $username } bei { $site } wurde in { $address } geändert. E-Mails zu diesem Konto gehen ab jetzt dorthin.
mail-address-changed-not-you = Falls du das nicht warst, wende dich bitte sofort an den Betreiber von { $site }.
mail-address-in-use-subject = Jemand wollte deine Adresse bei { $site } verwenden
mail-address-in-use-intro = Jemand wollte diese Adresse bei { $site } für ein anderes Konto verwenden. Sie gehört aber zu deinem Konto { $username }, deshalb wurde nichts geändert. Falls du das warst, melde dich stattdessen bei diesem Konto an:
mail-address-in-use-button = Anmelden

## Second factors

account-security = Zweite Faktoren
factor-title = Noch ein Schritt
factor-intro = { $name }, dein Konto hat einen zweiten Faktor. Bestätige damit, dass du es bist.
factor-code = Code aus deiner Authenticator-App
factor-code-hint = Sechs Ziffern aus der App; ein Wiederherstellungscode funktioniert hier auch.
factor-recovery-code = Wiederherstellungscode
factor-recovery-hint = Einer der Wiederherstellungscodes, die du beim Hinzufügen deines Passkeys aufbewahrt hast.
factor-submit = Weiter
factor-or = Oder:
factor-use-passkey = Passkey verwenden
factor-cancel = Abbrechen und abmelden
factor-blank = Gib den Code ein.
factor-wrong = Dieser Code hat nicht funktioniert. Die Codes ändern sich alle 30 Sekunden, und jeder funktioniert nur einmal.
factor-wrong-last-chance = Dieser Code hat nicht funktioniert. Noch ein fehlgeschlagener Anmeldeversuch aus deinem Netzwerk, und Anmeldungen von dort werden für { $wait } pausiert.
factor-wrong-now-paused = Dieser Code hat nicht funktioniert. Von deinem Netzwerk kamen zu viele fehlgeschlagene Anmeldungen, deshalb sind Anmeldungen von dort für { $wait } pausiert.
passkey-failed = Der Passkey hat nicht funktioniert. Versuch es noch einmal, oder wähle einen anderen Weg.
security-title = Zweite Faktoren
security-intro = Ein zweiter Faktor schützt dein Konto, selbst wenn jemand dein Passwort erfährt: eine Authenticator-App (ein Code, der sich alle 30 Sekunden ändert) oder ein Passkey (dein Handy, dein Computer oder dein Sicherheitsschlüssel).
security-recent-note = Bevor du einen Faktor hinzufügst oder entfernst, wirst du zuerst noch einmal nach deinem Passwort gefragt.
security-col-name = Name
security-col-kind = Art
security-col-added = Hinzugefügt
security-col-used = Zuletzt verwendet
security-kind-totp = Authenticator-App
security-kind-passkey = Passkey
security-never = nie
security-remove = Entfernen
security-none = Du hast noch keinen zweiten Faktor.
security-add-totp = Authenticator-App hinzufügen
security-add-passkey = Passkey hinzufügen
security-passkey-name = Name des Passkeys
security-passkey-needs-script = Zum Hinzufügen eines Passkeys braucht es JavaScript; für eine Authenticator-App nicht.
security-codes-title = Wiederherstellungscodes
security-codes-left = { $count ->
    [one] Noch 1 Wiederherstellungscode übrig.
   *[other] Noch { $count } Wiederherstellungscodes übrig.
}
security-codes-renew = Neue Wiederherstellungscodes erstellen
security-codes-need-factor = Wiederherstellungscodes gibt es zusammen mit einem zweiten Faktor: Füge zuerst einen hinzu.
security-back = Zurück zu deinem Konto
security-totp-default-name = Authenticator-App
security-name-invalid = Verwende höchstens 60 Zeichen, ohne Steuerzeichen.
security-totp-wrong = Dieser Code passt nicht. Prüfe die Uhrzeit auf deinem Handy und gib den Code ein, den die App gerade anzeigt.
totp-title = Authenticator-App hinzufügen
totp-step-scan = Scanne diesen Code mit deiner Authenticator-App (Aegis, Google Authenticator, 1Password, …):
totp-qr-label = QR-Code des Einrichtungslinks für die Authenticator-App
totp-step-or = Oder gib diesen Schlüssel in die App ein:
totp-uri = Der Einrichtungslink als Text
totp-step-code = Gib den sechsstelligen Code ein, den die App jetzt anzeigt.
totp-name = Name
totp-name-hint = Damit du sie wiedererkennst: „Handy“, „Tablet“.
totp-code = Code
totp-submit = App hinzufügen
codes-title = Deine Wiederherstellungscodes
codes-once = Bewahre sie jetzt auf: Du wirst sie nicht noch einmal sehen.
codes-how = Falls du dein Handy oder deinen Passkey verlierst, kannst du dich mit jedem Code stattdessen einmal anmelden. Bewahre sie an einem sicheren Ort auf, nicht bei deinen Geräten.
codes-done = Ich habe sie aufbewahrt
step-up-title = Ein zweiter Faktor ist nötig
step-up-needed = { $site } verlangt eine Anmeldung mit einem zweiten Faktor, und dein Konto hat noch keinen. Füge einen hinzu, und geh dann zurück zu { $site }.
step-up-set-up = Zweiten Faktor hinzufügen
notice-factor-added = { $name } wurde hinzugefügt.
notice-factor-removed = { $name } wurde entfernt.
admin-user-factors = Zweite Faktoren
admin-user-no-factors = keine
admin-users-reset-mfa = Zweite Faktoren entfernen…
confirm-user-reset-mfa-heading = Die zweiten Faktoren dieser Person entfernen?
confirm-user-reset-mfa = Die Authenticator-Apps, Passkeys und Wiederherstellungscodes von { $name } funktionieren dann nicht mehr, und sie meldet sich nur mit dem Passwort an, bis sie neue hinzufügt. Tu das nur, wenn du geprüft hast, dass es wirklich diese Person ist, die sie verloren hat. Sie wird per E-Mail informiert.
confirm-user-reset-mfa-button = Zweite Faktoren entfernen
notice-user-mfa-reset = Die zweiten Faktoren von { $name } wurden entfernt.
audit-user-reset-mfa = Zweite Faktoren entfernt
audit-security-factor-added = Zweiten Faktor hinzugefügt
audit-security-factor-removed = Zweiten Faktor entfernt
audit-security-recovery-code-used = Wiederherstellungscode verwendet
audit-security-recovery-codes-renewed = Neue Wiederherstellungscodes erstellt
mail-factor-button = Deine zweiten Faktoren ansehen
mail-factor-not-you = Falls du das nicht warst, melde dich sofort an, prüfe deine zweiten Faktoren und wähle ein neues Passwort.
mail-factor-added-subject = Bei { $site } wurde ein zweiter Faktor hinzugefügt
mail-factor-added-intro = Deinem Konto { $username } bei { $site } wurde ein zweiter Faktor hinzugefügt: { $what }.
mail-factor-removed-subject = Bei { $site } wurde ein zweiter Faktor entfernt
mail-factor-removed-intro = Der zweite Faktor { $what } wurde von deinem Konto { $username } bei { $site } entfernt.
mail-recovery-used-subject = Bei { $site } wurde ein Wiederherstellungscode verwendet
mail-recovery-used-intro = Gerade hat sich jemand mit einem Wiederherstellungscode bei deinem Konto { $username } bei { $site } angemeldet. Verbleibende Wiederherstellungscodes: { $left }.
mail-factors-reset-subject = Deine zweiten Faktoren bei { $site } wurden entfernt
mail-factors-reset-intro = Der Betreiber von { $site } hat auf deine Bitte hin alle zweiten Faktoren und Wiederherstellungscodes deines Kontos { $username } entfernt. Melde dich mit deinem Passwort an und füge neue hinzu.
login-passkey = Mit einem Passkey anmelden
security-passkey-default-name = Passkey

## Back-channel logout

admin-client-backchannel = Back-Channel-Logout-URI (optional)
admin-client-backchannel-hint = Wohin die Website sofort erfährt, dass die Anmeldung einer Person beendet wurde (OpenID Connect Back-Channel Logout): Ein signiertes logout_token wird dorthin gesendet.

## Spiele und native Apps: öffentliche Clients, Geräteanmeldung

admin-col-kind = Art
admin-client-kind = Art des Clients
admin-client-kind-public = öffentlich (ohne Secret)
admin-client-kind-confidential = vertraulich (mit Secret)
admin-client-kind-device = Geräteanmeldung
admin-client-public = Öffentlicher Client: ein Desktop- oder Mobilspiel, das kein Secret geheim halten kann
admin-client-public-hint = Er meldet sich nur mit seiner client_id und PKCE an. Seine Tokens werden mit den Schlüsseln des Servers signiert (RS256 oder EdDSA), und er darf Loopback- (http://127.0.0.1/…, jeder Port) und eigene Schema-Weiterleitungs-URIs (com.example.game:/callback) verwenden.
admin-client-device = Geräteanmeldung: Konsolen, Fernseher und Spielserver ohne Browser
admin-client-device-hint = Das Gerät zeigt einen kurzen Code, den die Person unter /device auf ihrem Telefon oder Computer bestätigt (RFC 8628). Ein solcher Client braucht keine Weiterleitungs-URI.
admin-client-public-hs256 = Ein öffentlicher Client kann HS256 nicht verwenden: Er müsste das Signatur-Secret geheim halten. Wähle RS256 oder EdDSA.
admin-client-public-no-secret = Ein öffentlicher Client hat kein Secret, das ersetzt werden könnte.
admin-client-uri-localhost = { $uri } nennt localhost; eine native App sollte stattdessen auf http://127.0.0.1/… oder http://[::1]/… lauschen (RFC 8252 §8.3).
admin-client-uri-private-scheme = { $uri } verwendet ein eigenes Schema, das nur ein öffentlicher Client (eine native App) registrieren darf.
admin-created-public = Dies ist ein öffentlicher Client: Er hat kein Secret. Das Spiel braucht nur seine client_id.
audit-security-device-approved = Ein Gerät mit einem Code angemeldet
device-title = Ein Gerät anmelden
device-enter-intro = Gib den Code ein, den deine Konsole, dein Fernseher oder dein Spiel anzeigt.
device-code-label = Code
device-code-hint = Acht Buchstaben, etwa BCDF-GHJK. Groß oder klein, mit oder ohne Bindestrich.
device-continue = Weiter
device-code-wrong = Dieser Code ist ungültig oder abgelaufen. Prüfe den Code auf deinem Gerät.
device-code-gone = Dieser Code wurde gerade verwendet oder ist abgelaufen. Beginne auf deinem Gerät neu.
device-suspended = Zu viele falsche Codes oder Passwörter kamen aus deinem Netzwerk. Du kannst es in { $wait } erneut versuchen.
device-confirm-heading = Auf deinem Gerät bei { $site } anmelden?
device-confirm-check = Prüfe, ob dies der Code ist, den dein Gerät anzeigt:
device-confirm-as = Du wirst dort als { $username } angemeldet.
device-confirm-warning = Fahre nur fort, wenn du dies auf einem eigenen Gerät begonnen hast. Niemand wird dich je nach diesem Code fragen.
device-approve = Bei { $site } anmelden
device-deny = Nein, das bin ich nicht
device-approved-title = Dein Gerät ist angemeldet
device-approved = { $site } auf deinem Gerät ist angemeldet. Du kannst jetzt dorthin zurückkehren.
device-denied-title = Gerät nicht angemeldet
device-denied = { $site } auf diesem Gerät wurde nicht angemeldet.
device-go-to-account = Deine Geräte und Sitzungen
