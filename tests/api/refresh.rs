//! `grant_type=refresh_token`: rotation in place under one session expiry,
//! the grace window, replay detection, racing refreshes and their batches.

use std::collections::HashSet;

use pattmayne_auth::domain::clients::TokenAlg;
use serde_json::Value;

use crate::helpers::{
    PASSWORD, TestClient, hs256, live_tokens, refreshed, s, spawn_app, spawn_app_with,
    spawn_refresh,
};

#[tokio::test]
async fn refresh_rotates_and_keeps_the_absolute_expiry() {
    let app = spawn_app().await;
    let alice = app.create_user("alice", PASSWORD, false).await;
    let client = app.register_client("Game", TokenAlg::HS256).await;
    let (_, tokens) = app.sign_in_and_get_tokens("alice", PASSWORD, &client).await;
    let first = s(&tokens, "refresh_token");
    let before = live_tokens(&app, &alice.id, &client).await;

    let res = app.refresh(&client, &first).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let next: Value = res.json().await.unwrap();
    let second = s(&next, "refresh_token");
    assert_ne!(first, second);
    assert!(next.get("id_token").is_none());
    hs256(&app, &client, &s(&next, "access_token"));
    let after = live_tokens(&app, &alice.id, &client).await;
    assert_eq!(after.len(), 1);
    assert_eq!(
        after[0].expires_at, before[0].expires_at,
        "rotation moved the expiry"
    );
    assert_eq!(after[0].family_id, before[0].family_id);
    // The successor refreshes in turn.
    assert_eq!(app.refresh(&client, &second).await.status(), 200);
}

#[tokio::test]
async fn a_retry_within_the_grace_window_gets_the_same_successor() {
    let app = spawn_app().await;
    let alice = app.create_user("alice", PASSWORD, false).await;
    let client = app.register_client("Game", TokenAlg::HS256).await;
    let (_, tokens) = app.sign_in_and_get_tokens("alice", PASSWORD, &client).await;
    let first = s(&tokens, "refresh_token");
    let a: Value = app.refresh(&client, &first).await.json().await.unwrap();
    let b: Value = app.refresh(&client, &first).await.json().await.unwrap();
    assert_eq!(a["refresh_token"], b["refresh_token"]);
    assert_eq!(live_tokens(&app, &alice.id, &client).await.len(), 1);
    // A tab that already moved on twice is still brought to the live head.
    let second = s(&a, "refresh_token");
    let c: Value = app.refresh(&client, &second).await.json().await.unwrap();
    let d: Value = app.refresh(&client, &first).await.json().await.unwrap();
    assert_eq!(c["refresh_token"], d["refresh_token"]);
    assert_eq!(live_tokens(&app, &alice.id, &client).await.len(), 1);
}

#[tokio::test]
async fn reuse_after_the_grace_window_revokes_the_family() {
    let app = spawn_app_with(&["--refresh-grace-secs", "20"]).await;
    let alice = app.create_user("alice", PASSWORD, false).await;
    let client = app.register_client("Game", TokenAlg::HS256).await;
    let (_, tokens) = app.sign_in_and_get_tokens("alice", PASSWORD, &client).await;
    let first = s(&tokens, "refresh_token");
    let next: Value = app.refresh(&client, &first).await.json().await.unwrap();
    let second = s(&next, "refresh_token");
    assert!(app.state.clock.advance(21));

    let res = app.refresh(&client, &first).await;
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    // The thief's replay cost the legitimate holder too: the family is dead.
    let res = app.refresh(&client, &second).await;
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_grant");
    assert!(live_tokens(&app, &alice.id, &client).await.is_empty());
}

#[tokio::test]
async fn a_token_rotated_long_ago_revokes_the_family_even_within_the_grace_window() {
    // The thief refreshed the stolen token over and over; the legitimate
    // holder's token is now far behind, and presenting it must still kill
    // the thief's branch. Seventy rotations also take the walk off the async
    // workers (more than 64 steps).
    let app = spawn_app().await;
    let alice = app.create_user("alice", PASSWORD, false).await;
    let client = app.register_client("Game", TokenAlg::HS256).await;
    let (_, tokens) = app.sign_in_and_get_tokens("alice", PASSWORD, &client).await;
    let first = s(&tokens, "refresh_token");
    let mut live = first.clone();
    for _ in 0..70 {
        live = refreshed(&app, &client, &live).await;
    }
    let row = &live_tokens(&app, &alice.id, &client).await[0];
    assert_eq!(row.generation, 70);

    let res = app.refresh(&client, &first).await;
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("already used"),
        "{body}"
    );
    assert_eq!(
        app.refresh(&client, &live).await.status(),
        400,
        "the thief's branch lives on"
    );
    assert!(live_tokens(&app, &alice.id, &client).await.is_empty());
}

#[tokio::test]
async fn three_rotations_behind_is_a_replay_even_within_the_grace_window() {
    // The row remembers when its last two rotations happened; a token older
    // than that is not forgiven.
    let app = spawn_app().await;
    let alice = app.create_user("alice", PASSWORD, false).await;
    let client = app.register_client("Game", TokenAlg::HS256).await;
    let (_, tokens) = app.sign_in_and_get_tokens("alice", PASSWORD, &client).await;
    let first = s(&tokens, "refresh_token");
    let mut live = first.clone();
    for _ in 0..3 {
        live = refreshed(&app, &client, &live).await;
    }
    assert_eq!(app.refresh(&client, &first).await.status(), 400);
    assert!(live_tokens(&app, &alice.id, &client).await.is_empty());
    assert_eq!(app.refresh(&client, &live).await.status(), 400);
}

#[tokio::test]
async fn forged_or_malformed_refresh_tokens_are_refused_and_revoke_nothing() {
    let app = spawn_app_with(&["--refresh-grace-secs", "0"]).await;
    let alice = app.create_user("alice", PASSWORD, false).await;
    let client = app.register_client("Game", TokenAlg::HS256).await;
    let other = app.register_client("Other", TokenAlg::HS256).await;
    let (_, tokens) = app.sign_in_and_get_tokens("alice", PASSWORD, &client).await;
    let live = s(&tokens, "refresh_token");
    let (family, secret) = live.split_once('.').unwrap();
    let forged_secret = format!("{family}.{}", "A".repeat(secret.len()));
    let unknown_family = format!("00000000-0000-4000-8000-000000000000.{secret}");
    let too_long = format!("{live}{}", "x".repeat(200));
    let res = app.refresh(&client, "").await;
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"],
        "invalid_request"
    );
    for bad in [
        ".",
        "no-dot-at-all",
        &format!("{family}."),
        &format!(".{secret}"),
        &forged_secret,
        &unknown_family,
        &too_long,
        &format!("{family}.{secret}.extra"),
        "'; DROP TABLE refresh_tokens; --.x",
    ] {
        let res = app.refresh(&client, bad).await;
        assert_eq!(res.status(), 400, "{bad:?}");
        assert_eq!(
            res.json::<Value>().await.unwrap()["error"],
            "invalid_grant",
            "{bad:?}"
        );
    }
    // Another client site cannot use it, nor kill it.
    let res = app.refresh(&other, &live).await;
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_grant");
    // None of that touched the family: the holder refreshes as before.
    assert_eq!(live_tokens(&app, &alice.id, &client).await[0].generation, 0);
    assert_eq!(app.refresh(&client, &live).await.status(), 200);
}

#[tokio::test]
async fn sixty_four_parallel_refreshes_give_no_5xx_and_leave_one_live_token() {
    let app = spawn_app().await;
    let alice = app.create_user("alice", PASSWORD, false).await;
    let client = app.register_client("Game", TokenAlg::HS256).await;
    let (_, tokens) = app.sign_in_and_get_tokens("alice", PASSWORD, &client).await;
    let first = s(&tokens, "refresh_token");
    let family = live_tokens(&app, &alice.id, &client).await[0]
        .family_id
        .clone();
    // Collected first, so that all 64 are in flight before any is awaited.
    let requests: Vec<_> = (0..64)
        .map(|_| spawn_refresh(&app, &client, &first))
        .collect();
    let mut successors = HashSet::new();
    for r in requests {
        let (status, body) = r.await.unwrap();
        assert!(status < 500, "server error: {body}");
        assert_eq!(status, 200, "{body}");
        successors.insert(s(&body, "refresh_token"));
    }
    assert_eq!(
        successors.len(),
        1,
        "more than one successor was handed out"
    );
    let live = live_tokens(&app, &alice.id, &client).await;
    assert_eq!(live.len(), 1);
    assert_eq!(live[0].family_id, family);
    assert_eq!(
        app.refresh(&client, successors.iter().next().unwrap())
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn parallel_refreshes_of_many_families_each_rotate_their_own() {
    // On PostgreSQL concurrent refresh grants share statements
    // (`domain::rotations`); nobody may get another family's token.
    let app = spawn_app().await;
    let client = app.register_client("Game", TokenAlg::HS256).await;
    let mut people = Vec::new();
    for i in 0..16 {
        let name = format!("player{i}");
        let person = app.create_user(&name, PASSWORD, false).await;
        let (_, tokens) = app.sign_in_and_get_tokens(&name, PASSWORD, &client).await;
        people.push((person.id, s(&tokens, "refresh_token")));
    }
    for _ in 0..4 {
        let requests: Vec<_> = people
            .iter()
            .map(|(_, token)| spawn_refresh(&app, &client, token))
            .collect();
        for ((user_id, token), request) in people.iter_mut().zip(requests) {
            let (status, body) = request.await.unwrap();
            assert_eq!(status, 200, "{body}");
            let next = s(&body, "refresh_token");
            let family = |t: &str| t.split('.').next().unwrap().to_owned();
            assert_eq!(family(&next), family(token), "another family's token");
            assert_ne!(&next, token);
            let claims = hs256(&app, &client, &s(&body, "access_token"));
            assert_eq!(&claims.sub, user_id, "an access token for someone else");
            *token = next;
        }
    }
    for (user_id, token) in &people {
        let live = live_tokens(&app, user_id, &client).await;
        assert_eq!(live.len(), 1);
        assert_eq!(live[0].generation, 4, "each refresh rotates exactly once");
        assert_eq!(app.refresh(&client, token).await.status(), 200);
    }
}

#[tokio::test]
async fn a_batch_of_refreshes_decides_each_ask_alone_and_never_waits_for_a_lock() {
    use pattmayne_auth::domain::tokens::{Ask, Locks, Presented, authenticate_and_claim};
    use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};

    let app = spawn_app().await;
    if app.state.db.get_database_backend() != DbBackend::Postgres {
        eprintln!("SKIPPED on SQLite: batches are PostgreSQL's, SQLite rotates one at a time");
        return;
    }
    let game = app.register_client("Game", TokenAlg::HS256).await;
    let other = app.register_client("Other", TokenAlg::HS256).await;
    let mut tokens = Vec::new();
    let mut ids = Vec::new();
    for name in ["alice", "bob", "carol", "dave", "erin"] {
        ids.push(app.create_user(name, PASSWORD, false).await.id);
        let (_, issued) = app.sign_in_and_get_tokens(name, PASSWORD, &game).await;
        tokens.push(s(&issued, "refresh_token"));
    }
    let [alice, bob, carol, dave, erin] = <[String; 5]>::try_from(tokens).unwrap();
    assert_eq!(app.refresh(&game, &carol).await.status(), 200); // carol's is now rotated away
    let family = |t: &str| t.split('.').next().unwrap().to_owned();

    let now = app.state.clock.now();
    let ask = |client: &TestClient, secret: &str, token: &str| {
        let presented = Presented::parse(&app.state.keys, token).unwrap();
        Ask::new(&client.client_id, secret, &presented, now)
    };
    // Another transaction holds erin's family.
    let holder = app.state.db.begin().await.unwrap();
    holder
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT 1 FROM refresh_tokens WHERE family_id = $1 FOR UPDATE",
            [family(&erin).into()],
        ))
        .await
        .unwrap();
    let asks = [
        ask(&game, &game.client_secret, &alice),
        ask(&game, "wrong secret", &bob),
        ask(&other, &other.client_secret, &bob),
        ask(&game, &game.client_secret, &carol),
        ask(&game, &game.client_secret, &dave),
        ask(&game, &game.client_secret, &dave),
        ask(&game, &game.client_secret, "no-such-family.secret"),
        ask(&game, &game.client_secret, &erin),
    ];
    let batch: Vec<&Ask> = asks.iter().collect();
    let found = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        authenticate_and_claim(&app.state.db, &batch, Locks::Skip),
    )
    .await
    .expect("a batch waited for a row lock held elsewhere")
    .unwrap();
    let rotated: Vec<bool> = found.iter().map(|f| f.claimed.is_some()).collect();
    let locked: Vec<bool> = found.iter().map(|f| f.locked).collect();
    assert_eq!(rotated[..4], [true, false, false, false], "{rotated:?}");
    assert!(
        rotated[4] ^ rotated[5],
        "dave's token rotated twice or not at all"
    );
    assert_eq!(rotated[6..], [false, false]);
    assert_eq!(locked, [true, true, true, true, true, true, false, false]);
    let client_of =
        |f: &pattmayne_auth::domain::tokens::Found| f.client.as_ref().map(|c| c.client_id.clone());
    assert_eq!(client_of(&found[1]), Some(game.client_id.clone()));
    assert_eq!(client_of(&found[2]), Some(other.client_id.clone()));

    let generations = || async {
        let mut all = Vec::new();
        for id in &ids {
            all.push(live_tokens(&app, id, &game).await[0].generation);
        }
        all
    };
    assert_eq!(generations().await, [1, 0, 1, 1, 0]);

    // Once the holder lets go, erin's ask on its own (waiting) rotates.
    holder.rollback().await.unwrap();
    let found = authenticate_and_claim(&app.state.db, &[&asks[7]], Locks::Wait)
        .await
        .unwrap();
    assert!(found[0].claimed.is_some() && found[0].locked);
    assert_eq!(generations().await, [1, 0, 1, 1, 1]);
}

#[tokio::test]
async fn a_failed_batch_costs_the_other_refreshes_in_it_nothing() {
    use pattmayne_auth::domain::tokens::{Ask, Presented};
    use sea_orm::{ConnectionTrait, DbBackend, TransactionTrait};

    let app = spawn_app().await;
    if app.state.db.get_database_backend() != DbBackend::Postgres {
        eprintln!("SKIPPED on SQLite: batches are PostgreSQL's, SQLite rotates one at a time");
        return;
    }
    let game = app.register_client("Game", TokenAlg::HS256).await;
    let mut tokens = Vec::new();
    for name in ["alice", "bob"] {
        app.create_user(name, PASSWORD, false).await;
        let (_, issued) = app.sign_in_and_get_tokens(name, PASSWORD, &game).await;
        tokens.push(s(&issued, "refresh_token"));
    }
    let now = app.state.clock.now();
    let ask = |token: &str| {
        let presented = Presented::parse(&app.state.keys, token).unwrap();
        Ask::new(&game.client_id, &game.client_secret, &presented, now)
    };
    let claim = |ask: Ask| {
        let state = app.state.clone();
        tokio::spawn(async move { state.rotations.claim(&state.db, ask).await })
    };
    // Hold the table so that the first batch waits in the database while
    // the next two asks gather behind it, into one batch.
    let holder = app.state.db.begin().await.unwrap();
    holder
        .execute_unprepared("LOCK TABLE refresh_tokens IN EXCLUSIVE MODE")
        .await
        .unwrap();
    let rotations = &app.state.rotations;
    let first = claim(ask(&tokens[1]));
    until("the first batch is in the database", || {
        rotations.batches() == 1
    })
    .await;
    // PostgreSQL refuses NUL in text: this ask fails whatever statement it is in.
    let poisoned = claim(ask("fam\0ily.secret"));
    let alice = claim(ask(&tokens[0]));
    until("both asks wait for the next batch", || {
        rotations.waiting() == 2
    })
    .await;
    holder.rollback().await.unwrap();

    assert!(first.await.unwrap().unwrap().claimed.is_some());
    assert!(poisoned.await.unwrap().is_err());
    let alice = alice
        .await
        .unwrap()
        .expect("alice's refresh failed with the batch");
    assert!(alice.claimed.is_some());
    // They did share a batch: the test proved what it meant to.
    assert_eq!(rotations.largest_batch(), 2);
}

/// Polls (not sleeps for a fixed time) until `done`, for at most 10 s.
async fn until(what: &str, done: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !done() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting until {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}
