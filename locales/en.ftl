# Pattmayne Auth: every word a person reads, in English.
# Keys are grouped by page; de.ftl has the same keys (a test checks).

## Durations (used inside other messages)

duration-seconds = { $n ->
    [one] 1 second
   *[other] { $n } seconds
}
duration-minutes = { $n ->
    [one] 1 minute
   *[other] { $n } minutes
}
duration-hours = { $n ->
    [one] 1 hour
   *[other] { $n } hours
}
duration-days = { $n ->
    [one] 1 day
   *[other] { $n } days
}

## Every page

skip-to-content = Skip to the content
nav-main = Main
nav-admin = Admin
nav-sign-in = Sign in
nav-sign-out = Sign out
footer-tagline = One sign-in for every site.
footer-language = Language
badge-admin = admin
badge-enabled = enabled
badge-disabled = disabled
badge-you = you
badge-verified = verified
badge-unverified = not verified
site-on-the-way = On your way to { $site }
site-back-to = Back to { $site }

## Start page

home-title = Welcome
home-signed-in-as = You are signed in as { $name }. Every site that uses this sign-in will recognise you.
home-your-account = Your account
home-intro = Sign in once here and you are signed in on every site that uses { $site }.
home-sign-in = Sign in
home-create-account = Create an account

## Sign-in

login-title = Sign in
login-title-for = Sign in to { $site }
login-again-title = Sign in again
login-again-note = To go on, the site asks you to confirm it is you. Someone else can sign in here instead.
login-again-submit = Continue as { $name }
login-not-you = Not { $name }?
login-sign-out-first = Sign out
login-username = Username or email
login-password = Password
login-submit = Sign in
login-new-here = New here?
login-create-account = Create an account
login-wrong = Wrong username or password.
login-wrong-last-chance = Wrong username or password. One more failed sign-in from your network will pause sign-ins from it for { $wait }.
login-wrong-now-paused = Wrong username or password. Too many failed sign-ins came from your network, so signing in from it is paused for { $wait }.
login-blank = Enter your username or email and your password.
login-form-expired = This form was open too long, so nothing was sent. Please sign in again.
login-disabled = This account has been disabled.
login-account-wait = Too many failed sign-ins to this account. You can try again in { $wait }.
login-busy = Many sign-ins are coming from your network right now. Try again in a moment.
login-suspended = Too many failed sign-ins came from your network, so signing in from it is paused for a while.

## Registration

register-title = Create an account
register-title-for = Create an account for { $site }
register-username = Username
register-username-hint = 3 to 32 letters, digits, dots, dashes or underscores.
register-email = Email
register-password = Password
register-password-hint = At least 8 characters. A few unrelated words make a strong password.
register-password-confirm = Repeat the password
register-submit = Create account
register-have-account = Already have an account?
register-sign-in = Sign in
register-closed = Registration is closed on this server. Ask an administrator for an account.
register-taken = That username or email address is already registered.
register-form-expired = This form was open too long, so nothing was sent. Please fill it in again.
register-too-many = Too many accounts were created from your network. You can try again in { $wait }.

## Account fields (registration and the account page)

field-username-length = Use 3 to 32 characters.
field-username-characters = Use only letters, digits, dots, dashes and underscores.
field-username-start = Start with a letter or a digit.
field-email-length = Enter an email address of at most 254 characters.
field-email-shape = Enter an email address like name@example.com.
field-password-short = Use at least 8 characters.
field-password-long = Use at most 128 characters.
field-password-control = Passwords cannot contain control characters.
field-password-weak = This password is too easy to guess. A few unrelated words, or a longer phrase, make a strong one.
field-password-weak-why = This password is too easy to guess. { $why } A few unrelated words, or a longer phrase, make a strong one.
field-password-mismatch = The passwords do not match.

## Password strength (zxcvbn's warnings)

weak-straight-rows = Straight rows of keys are easy to guess.
weak-short-keyboard = Short keyboard patterns are easy to guess.
weak-repeats = Repeats like "aaa" are easy to guess.
weak-repeats-abc = Repeats like "abcabcabc" are only slightly harder to guess than "abc".
weak-top-10 = This is a top-10 common password.
weak-top-100 = This is a top-100 common password.
weak-common = This is a very common password.
weak-similar-common = This is similar to a commonly used password.
weak-sequences = Sequences like abc or 6543 are easy to guess.
weak-recent-years = Recent years are easy to guess.
weak-word = A word by itself is easy to guess.
weak-dates = Dates are often easy to guess.
weak-names = Names and surnames by themselves are easy to guess.
weak-common-names = Common names and surnames are easy to guess.

## Sign-out

logout-title = Sign out?
logout-question = You will be signed out of { $server } and of every site that uses it.
logout-question-from = { $site } asks to sign you out of { $server } and of every site that uses it.
logout-submit = Sign out
logout-stay = Stay signed in
logout-bad-hint = This sign-out link carries an id_token that is not valid here.
logout-hint-mismatch = This sign-out link's client_id does not match its id_token.
logout-not-registered = This sign-out link names a return address that is not registered for the site.

## Account page

account-title = Your account
account-email = Email: { $email }
account-member-since = Member since { $date }.
account-sessions-title = Where you are signed in
account-sessions-note = Each browser or device you sign in with has its own sign-in, which lasts a fixed time; the sites you use through it are signed out with it.
account-col-device = Device
account-col-signed-in = Signed in
account-col-last-seen = Last seen
account-col-address = Address
account-col-sites = Sites
account-col-action = Action
account-this-browser = this browser
account-unknown-browser = Unknown browser
device-browser-on-os = { $browser } on { $os }
device-only = { $name }
account-unknown = unknown
account-ends-in = ends in { $wait }
account-just-now = just now
account-ago = { $wait } ago
account-no-sites = none yet
account-sign-out = Sign out
account-sign-out-everywhere = Sign out everywhere

## Error pages

error-heading-400 = This link or form did not work
error-heading-403 = Not allowed
error-heading-404 = Page not found
error-heading-405 = Not allowed here
error-heading-408 = That took too long
error-heading-413 = Too much at once
error-heading-415 = Not a form we can read
error-heading-429 = Please wait a little
error-heading-500 = Something went wrong on our side
error-heading-503 = Not available right now
error-heading-other = Something went wrong
error-status-code = Error { $status }
error-try-again-in = You can try again in { $wait }.
error-way-start = Go to the start page
error-way-sign-in = Sign in
error-way-account = Go to your account
error-not-found = There is nothing at this address.
error-too-large = The request was too large.
error-too-slow = The request took too long.
error-not-a-form = The request was not a form submission.
error-wrong-method = This address does not accept that kind of request.
error-bad-request = The request could not be understood.
error-server = The problem was recorded. Try again later.
error-nul = The request contains a NUL character.
error-form-expired = This form was open too long, or did not come from this site, so nothing was changed. Go back, reload the page and try again.
error-bad-link = This sign-in link is not valid: the site is unknown or disabled, or its return address is not registered.
error-admins-only = This page is for administrators.
error-metrics-only = The metrics are for the operator's monitoring only.

## Admin pages

admin-nav = Administration
admin-nav-clients = Client sites
admin-nav-users = Users
admin-nav-suspensions = IP suspensions
admin-nav-audit = Audit log
admin-nav-mail = Mail
admin-cancel = Cancel
admin-save = Save
admin-copy = Copy
admin-copied = Copied
admin-copy-failed = Select and copy by hand
admin-copy-env = Copy as .env
admin-pages = Pages
admin-previous = ← Previous
admin-next = Next →
admin-newer = ← Newer
admin-older = Older →
admin-page-of = Page { $page } of { $pages }
admin-in = in { $wait }
admin-col-name = Name
admin-col-client-id = Client ID
admin-col-redirect-uris = Redirect URIs
admin-col-signing = Signing
admin-col-state = State
admin-col-created = Created
admin-col-live-tokens = Live tokens
admin-col-address = Address
admin-col-lifts = Lifts
admin-col-offences = Offences
admin-col-last-attempt = Last attempt
admin-col-action = Action
admin-col-actions = Actions
admin-col-username = Username
admin-col-email = Email
admin-col-role = Role
admin-role-user = user
admin-state-active = active

admin-clients-title = Client sites
admin-clients-add = Add a client site
admin-clients-none = No client sites yet.
admin-client-new-title = Add a client site
admin-client-new-submit = Add the site
admin-client-name = Name
admin-client-redirect-uris = Redirect URIs
admin-client-redirect-hint = One per line. Absolute https URLs without a fragment (http only for localhost). They must match exactly.
admin-client-signing = Access-token signing
admin-client-signing-own = the site's own secret
admin-client-signing-server = the server's key, published in the JWKS
admin-client-branding = How the sign-in page shows this site
admin-client-accent = Accent colour
admin-client-accent-hint = A colour like #2a5bd7 for the buttons people see on their way to this site. It needs enough contrast with white text. Empty: the server's own.
admin-client-logo = Logo
admin-client-logo-hint = PNG, JPEG or WebP, at most 256 KiB, shown at 40 × 40 pixels.
admin-client-logo-current = The current logo
admin-client-logo-remove = Remove the logo
admin-client-actions = Actions
admin-client-rotate = Rotate the client secret…
admin-client-disable = Disable…
admin-client-enable = Enable
admin-client-delete = Delete…
admin-client-name-invalid = Give the site a name of 1 to 100 characters.
admin-client-uris-missing = Give at least one redirect URI.
admin-client-uri-length = Redirect URIs must be 1 to 2000 characters.
admin-client-uri-spaces = { $uri } contains spaces or control characters.
admin-client-uri-not-absolute = { $uri } is not an absolute URL.
admin-client-uri-fragment = { $uri } has a fragment (#…); redirect URIs cannot.
admin-client-uri-credentials = { $uri } contains credentials.
admin-client-uri-scheme = { $uri } must be an http(s) URL.
admin-client-uri-no-host = { $uri } has no host.
admin-client-uri-plain-http = { $uri } uses plain http; use https (http is allowed only for localhost).
admin-client-accent-invalid = Give a colour as # and six hexadecimal digits, like #2a5bd7.
admin-client-accent-contrast = White text on { $color } has a contrast of { $ratio }:1; it needs 4.5:1. Choose a darker colour.
admin-client-logo-too-large = The logo is larger than 256 KiB.
admin-client-logo-type = The logo must be a PNG, JPEG or WebP image.

admin-created-title = Credentials
admin-created-heading = Credentials for { $site }
admin-created-once = You will not see these again.
admin-created-once-why = Copy them into the site's configuration now; only a hash (or an encrypted copy) is kept.
admin-created-jwt-note = the HS256 key: the UTF-8 bytes of this string
admin-created-endpoints = Where the site talks to this server
admin-created-issuer = Issuer
admin-created-discovery = Discovery
admin-created-authorize = Authorization endpoint
admin-created-token = Token endpoint
admin-created-jwks = JWKS
admin-created-env = Everything at once
admin-created-env-hint = The settings above as a .env file for the site's backend.
admin-created-gone-title = Credentials no longer shown
admin-created-gone = The credentials were shown once and are not kept. If they were lost, rotate the client secret.
admin-created-visit = Go to { $site }
admin-created-settings = Client site settings
admin-created-all = All client sites

admin-users-title = Users
admin-users-search-label = Search
admin-users-search-placeholder = Username or email
admin-users-search = Search
admin-users-count = { $count ->
    [one] 1 account.
   *[other] { $count } accounts.
}
admin-users-count-matching = { $count ->
    [one] 1 account matching “{ $q }”.
   *[other] { $count } accounts matching “{ $q }”.
}
admin-users-enable = Enable
admin-users-disable = Disable…
admin-users-grant-admin = Make admin…
admin-users-revoke-admin = Remove admin…
admin-user-id = Account id
admin-user-sessions = Where this person is signed in
admin-user-no-sessions = Not signed in anywhere.
admin-user-audit = Latest in the audit log
admin-user-audit-all = Everything about this person in the audit log
admin-last-admin = This is the last admin; make someone else an admin first.
admin-not-yourself = You cannot disable your own account.

admin-suspensions-title = IP suspensions
admin-suspensions-none = No address is suspended.
admin-suspensions-lift = Lift

admin-audit-title = Audit log
admin-audit-filter-label = Filter the audit log
admin-audit-kind = Kind
admin-audit-everything = Everything
admin-audit-admin-actions = Admin actions
admin-audit-security-events = Security events
admin-audit-person = Person (username or id)
admin-audit-address = Address
admin-audit-address-hint = Exact, or a prefix ending in . : or /
admin-audit-filter = Filter
admin-audit-clear = Clear
admin-audit-when = When
admin-audit-who = Who
admin-audit-what = What
admin-audit-target = Target
admin-audit-from = From
admin-audit-details = Details
admin-audit-unknown = unknown
admin-audit-nothing = Nothing matches.

## Confirmations and notices after admin actions

confirm-client-disable-heading = Disable this client site?
confirm-client-disable = “{ $name }” will no longer be able to sign people in or refresh their tokens until enabled again.
confirm-client-disable-button = Disable
confirm-client-delete-heading = Delete this client site?
confirm-client-delete = “{ $name }” and every refresh token issued to it will be deleted. This cannot be undone.
confirm-client-delete-button = Delete
confirm-client-rotate-heading = Rotate the client secret?
confirm-client-rotate = The current secret of “{ $name }” stops working at once; the site needs the new one.
confirm-client-rotate-button = Rotate the secret
confirm-user-disable-heading = Disable this account?
confirm-user-disable = { $name } will be signed out everywhere, every client site's tokens for them revoked, and they cannot sign in until enabled again.
confirm-user-disable-button = Disable
confirm-user-grant-heading = Make this person an admin?
confirm-user-grant = { $name } will be able to add and change client sites, disable accounts and make other admins.
confirm-user-grant-button = Make admin
confirm-user-revoke-heading = Remove the admin role?
confirm-user-revoke = { $name } will no longer be able to use these pages.
confirm-user-revoke-button = Remove admin

notice-client-created = { $name } was added.
notice-client-saved = { $name } was saved.
notice-client-disabled = { $name } was disabled.
notice-client-enabled = { $name } was enabled.
notice-client-deleted = { $name } was deleted.
notice-client-rotated = The client secret of { $name } was rotated.
notice-user-disabled = { $name } was disabled and signed out everywhere.
notice-user-enabled = { $name } was enabled.
notice-user-granted = { $name } is now an admin.
notice-user-revoked = { $name } is no longer an admin.
notice-suspension-lifted = The suspension of { $ip } was lifted.

## What the audit log says happened

audit-client-create = Added a client site
audit-client-update = Changed a client site
audit-client-rotate-secret = Rotated a client secret
audit-client-enable = Enabled a client site
audit-client-disable = Disabled a client site
audit-client-delete = Deleted a client site
audit-user-create = Created an account
audit-user-enable = Enabled an account
audit-user-disable = Disabled an account
audit-user-grant-admin = Made an admin
audit-user-revoke-admin = Removed an admin
audit-suspension-lift = Lifted a suspension
audit-keys-rotate = Rotated the signing keys
audit-security-sign-in = Signed in
audit-security-sign-in-failed = Failed to sign in
audit-security-address-suspended = An address was suspended
audit-security-registered = Registered
audit-security-refresh-token-reused = A rotated refresh token came back
audit-security-code-reused = An authorization code came back
audit-security-password-changed = Changed the password
audit-security-session-ended = A sign-in ended
audit-other = Something else

## Forgotten password and reset

login-forgot = Forgot your password?
login-after-reset = Your password was changed, and every device was signed out. Sign in with the new password.
forgot-title = Choose a new password
forgot-intro = Enter the email address of your account, and we will mail you a link to choose a new password.
forgot-email = Email
forgot-submit = Mail me a link
forgot-back-to-sign-in = Back to sign in
forgot-form-expired = This form was open too long, so nothing was sent. Please send it again.
forgot-too-many = Too many new passwords were asked for from your network. You can try again in { $wait }.
forgot-sent-title = Check your mail
forgot-sent = If an account has the address { $email }, a link to choose a new password is on its way there. It works once, for { $wait }.
forgot-sent-nothing = Nothing after a few minutes? Look in the spam folder, or check that this is the address of your account.
reset-title = Choose a new password
reset-intro = A new password for { $name }. Every device signed in to the account will be signed out.
reset-password = New password
reset-password-confirm = Repeat the new password
reset-submit = Save the new password
reset-form-expired = This form was open too long, so nothing was changed. Please type the new password again.
reset-link-invalid = This link has expired or was already used. Ask for a new one at "Forgot your password?" on the sign-in page.

## Confirming an address

register-sent-title = Check your mail
register-sent = We sent a mail to { $email }. Follow the link in it to finish: it works once, for { $wait }.
register-sent-nothing = Nothing after a few minutes? Look in the spam folder, or register again.
verify-taken = Another account took that username or address before this link was followed. Register again with another.
verify-link-invalid = This link has expired or was already used. Register again, or ask for a new link.
verify-address-changed-title = Your address was changed
verify-address-changed = Your account's address is now { $email }.
verify-go-to-account = Go to your account
email-change-taken = Another account has that address now, so yours stays as it was.

## Changing the password and the address

account-change-password = Change the password
account-change-email = Change the address
change-password-title = Change the password
change-password-note = Every other device signed in to your account will be signed out; this one stays signed in.
change-password-current = Current password
change-password-new = New password
change-password-confirm = Repeat the new password
change-password-submit = Change the password
change-cancel = Cancel
change-form-expired = This form was open too long, so nothing was changed. Please send it again.
change-wrong-password = That is not your current password.
change-too-many = Too many wrong passwords. You can try again in { $wait }.
change-email-title = Change the address
change-email-now = Your address is { $email }.
change-email-note = We will mail a link to the new address; it becomes your account's when you follow it, and the old address is told.
change-email-new = New address
change-email-submit = Mail a link to the new address
change-email-same = That is already your address.
notice-password-changed = Your password was changed, and every other device was signed out.
notice-email-link-sent = We sent a link to { $email }. Your address changes when you follow it.

## Admin: mail

admin-users-send-reset = Mail a reset link
notice-user-reset-sent = A link to choose a new password was mailed to { $name }.
notice-user-reset-budget = No link was mailed to { $name }: their address has had as many mails this hour as it may.
notice-mail-retried = The mail is back in the queue.
admin-mail-title = Mail waiting
admin-mail-outbox = No SMTP server is set (AUTH_SMTP_URL): mails are written to { $dir }.
admin-mail-smtp = Mails go to the SMTP server of AUTH_SMTP_URL. Sent mails leave this list; failed ones are tried again, less and less often.
admin-mail-to = To
admin-mail-kind = Kind
admin-mail-queued = Queued
admin-mail-state = State
admin-mail-error = Last error
admin-mail-failed = { $attempts ->
    [one] given up after 1 attempt
   *[other] given up after { $attempts } attempts
}
admin-mail-retrying = { $attempts ->
    [one] failed once; next try in { $wait }
   *[other] failed { $attempts } times; next try in { $wait }
}
admin-mail-waiting = waiting
admin-mail-retry = Try again
admin-mail-none = No mail is waiting.
audit-user-set-password = Set a password
audit-user-reset-link = Made a reset link
audit-user-send-reset = Mailed a reset link
audit-user-verify-email = Verified an address
audit-mail-retry = Put a mail back in the queue
audit-security-reset-requested = A reset link was mailed
audit-security-email-changed = Changed the address

## Mails (plain text and HTML; { $site } is the server's name)

mail-signature = { $site }
mail-link-once = The link works once, for { $wait }.
mail-ignore = If it was not you, ignore this mail: nothing has changed.
mail-verify-subject = Confirm your address for { $site }
mail-verify-intro = Someone, probably you, asked for the account { $username } on { $site } with this address. To confirm the address and start the account, follow this link:
mail-verify-button = Confirm and start the account
mail-verify-ignore = If it was not you, ignore this mail: no account is created.
mail-already-subject = You already have an account on { $site }
mail-already-intro = Someone, probably you, tried to create an account on { $site } with this address, which already has one: { $username }.
mail-already-sign-in = To sign in, go to:
mail-already-button = Sign in
mail-already-forgot = Forgot your password? Choose a new one at { $forgot }
mail-taken-subject = Choose another username on { $site }
mail-taken-intro = Someone, probably you, tried to create the account { $username } on { $site } with this address, but that username is taken. To try again with another, go to:
mail-taken-button = Create an account
mail-reset-subject = Choose a new password for { $site }
mail-reset-intro = Someone, probably you, asked to choose a new password for the account { $username } on { $site }. To do that, follow this link:
mail-reset-button = Choose a new password
mail-reset-ignore = If it was not you, ignore this mail: your password stays as it is.
mail-password-changed-subject = Your password on { $site } was changed
mail-password-changed-intro = The password of your account { $username } on { $site } was just changed, and the devices signed in to it were signed out.
mail-password-changed-not-you = If it was not you, choose a new password at once:
mail-password-changed-button = Choose a new password
mail-new-address-subject = Confirm your new address for { $site }
mail-new-address-intro = The account { $username } on { $site } asked to use this address from now on. To confirm it, follow this link:
mail-new-address-button = Confirm the new address
mail-new-address-ignore = If it was not you, ignore this mail: nothing changes.
mail-address-changed-subject = Your address on { $site } was changed
mail-address-changed-intro = The address of your account { $username } on { $site } was changed to { $address }. Mail about the account goes there from now on.
mail-address-changed-not-you = If it was not you, tell the operator of { $site } at once.
mail-address-in-use-subject = Someone offered your address on { $site }
mail-address-in-use-intro = Someone asked to use this address for another account on { $site }, but it belongs to your account { $username }, so nothing changed. If it was you, sign in to that account instead:
mail-address-in-use-button = Sign in

## Second factors

account-security = Second factors
factor-title = One more step
factor-intro = { $name }, your account has a second factor. Prove it is you with it.
factor-code = Code from your authenticator app
factor-code-hint = Six digits from the app; a recovery code works here too.
factor-recovery-code = Recovery code
factor-recovery-hint = One of the recovery codes you kept when you added your passkey.
factor-submit = Continue
factor-or = Or:
factor-use-passkey = Use a passkey
factor-cancel = Cancel and sign out
factor-blank = Enter the code.
factor-wrong = That code did not work. Codes change every 30 seconds, and each works once.
factor-wrong-last-chance = That code did not work. One more failed sign-in from your network will pause sign-ins from it for { $wait }.
factor-wrong-now-paused = That code did not work. Too many failed sign-ins came from your network, so signing in from it is paused for { $wait }.
passkey-failed = The passkey did not work. Try again, or use another way.
security-title = Second factors
security-intro = A second factor keeps your account safe even if someone learns your password: an authenticator app (a code that changes every 30 seconds) or a passkey (your phone, computer or security key).
security-recent-note = To add or remove a factor you will be asked for your password again first.
security-col-name = Name
security-col-kind = Kind
security-col-added = Added
security-col-used = Last used
security-kind-totp = authenticator app
security-kind-passkey = passkey
security-never = never
security-remove = Remove
security-none = You have no second factor yet.
security-add-totp = Add an authenticator app
security-add-passkey = Add a passkey
security-passkey-name = Name of the passkey
security-passkey-needs-script = Adding a passkey needs JavaScript; an authenticator app does not.
security-codes-title = Recovery codes
security-codes-left = { $count ->
    [one] 1 recovery code left.
   *[other] { $count } recovery codes left.
}
security-codes-renew = Make new recovery codes
security-codes-need-factor = Recovery codes come with a second factor: add one first.
security-back = Back to your account
security-totp-default-name = Authenticator app
security-name-invalid = Use at most 60 characters, without control characters.
security-totp-wrong = That code does not match. Check the time on your phone and type the code the app shows now.
totp-title = Add an authenticator app
totp-step-scan = Scan this code with your authenticator app (Aegis, Google Authenticator, 1Password, …):
totp-qr-label = QR code of the authenticator app's set-up link
totp-step-or = Or type this key into the app:
totp-uri = The set-up link as text
totp-step-code = Type the six-digit code the app now shows.
totp-name = Name
totp-name-hint = So you know it again: "Phone", "Tablet".
totp-code = Code
totp-submit = Add the app
codes-title = Your recovery codes
codes-once = Keep these now: you will not see them again.
codes-how = If you lose your phone or passkey, each code signs you in once instead of it. Store them somewhere safe, away from your devices.
codes-done = I have kept them
step-up-title = A second factor is needed
step-up-needed = { $site } asks for a sign-in with a second factor, and your account has none yet. Add one, then go back to { $site }.
step-up-set-up = Add a second factor
notice-factor-added = { $name } was added.
notice-factor-removed = { $name } was removed.
admin-user-factors = Second factors
admin-user-no-factors = none
admin-users-reset-mfa = Remove second factors…
confirm-user-reset-mfa-heading = Remove this person's second factors?
confirm-user-reset-mfa = The authenticator apps, passkeys and recovery codes of { $name } stop working, and they sign in with the password alone until they add new ones. Do this only after checking it is really them who lost them. They will be told by mail.
confirm-user-reset-mfa-button = Remove the second factors
notice-user-mfa-reset = The second factors of { $name } were removed.
audit-user-reset-mfa = Removed second factors
audit-security-factor-added = Added a second factor
audit-security-factor-removed = Removed a second factor
audit-security-recovery-code-used = Used a recovery code
audit-security-recovery-codes-renewed = Made new recovery codes
mail-factor-button = See your second factors
mail-factor-not-you = If it was not you, sign in and check your second factors at once, and choose a new password.
mail-factor-added-subject = A second factor was added on { $site }
mail-factor-added-intro = A second factor, { $what }, was added to your account { $username } on { $site }.
mail-factor-removed-subject = A second factor was removed on { $site }
mail-factor-removed-intro = The second factor { $what } was removed from your account { $username } on { $site }.
mail-recovery-used-subject = A recovery code was used on { $site }
mail-recovery-used-intro = A recovery code was just used to sign in to your account { $username } on { $site }. { $left } are left.
mail-factors-reset-subject = Your second factors on { $site } were removed
mail-factors-reset-intro = The operator of { $site } removed every second factor and recovery code of your account { $username }, as asked. Sign in with your password and add new ones.
login-passkey = Sign in with a passkey
security-passkey-default-name = Passkey

## Back-channel logout

admin-client-backchannel = Back-channel logout URI (optional)
admin-client-backchannel-hint = Where the site hears at once that a person's session ended (OpenID Connect Back-Channel Logout): a signed logout_token is POSTed there.

## Games and native apps: public clients, device sign-in

admin-col-kind = Kind
admin-client-kind = Kind of client
admin-client-kind-public = public (no secret)
admin-client-kind-confidential = confidential (with a secret)
admin-client-kind-device = device sign-in
admin-client-public = Public client: a desktop or mobile game that cannot keep a secret
admin-client-public-hint = It signs in with its client_id alone and PKCE. Its tokens are signed with the server's keys (RS256 or EdDSA), and it may use loopback (http://127.0.0.1/…, any port) and private-use (com.example.game:/callback) redirect URIs.
admin-client-device = Device sign-in: consoles, TVs and game servers without a browser
admin-client-device-hint = The device shows a short code that the player confirms at /device on their phone or computer (RFC 8628). Such a client needs no redirect URI.
admin-client-public-hs256 = A public client cannot use HS256: it would have to keep the signing secret. Choose RS256 or EdDSA.
admin-client-public-no-secret = A public client has no secret to replace.
admin-client-uri-localhost = { $uri } names localhost; a native app should listen on http://127.0.0.1/… or http://[::1]/… instead (RFC 8252 §8.3).
admin-client-uri-private-scheme = { $uri } uses a private-use scheme, which only a public client (a native app) may register.
admin-created-public = This is a public client: it has no secret. The game needs only its client_id.
audit-security-device-approved = Signed in a device with a code
device-title = Sign in a device
device-enter-intro = Enter the code your console, TV or game shows.
device-code-label = Code
device-code-hint = Eight letters, like BCDF-GHJK. Upper or lower case, with or without the dash.
device-continue = Continue
device-code-wrong = That code is not valid or has expired. Check the code on your device.
device-code-gone = That code was just used or has expired. Start again on your device.
device-suspended = Too many wrong codes or passwords came from your network. You can try again in { $wait }.
device-confirm-heading = Sign in to { $site } on your device?
device-confirm-check = Check that this is the code your device shows:
device-confirm-as = You will be signed in as { $username } there.
device-confirm-warning = Only continue if you started this on a device of your own. Nobody will ever ask you for this code.
device-approve = Sign in to { $site }
device-deny = No, this is not me
device-approved-title = Your device is signed in
device-approved = { $site } on your device is signed in. You can go back to it now.
device-denied-title = Device not signed in
device-denied = { $site } on that device was not signed in.
device-go-to-account = Your devices and sessions
