//! A tiny game site for [`pattmayne_auth_client`]: one page that greets the
//! signed-in player and keeps a score for them on the server, by `sub`.
//! The whole integration is the `merge(kit.routes())` and
//! `layer(kit.layer())` in [`app`]; the rest is the game.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use pattmayne_auth_client::{AuthKit, SignedIn};
use serde::Serialize;

/// The game's state: its name and every player's score.
#[derive(Clone)]
struct Game {
    name: Arc<str>,
    scores: Arc<Mutex<HashMap<String, u64>>>,
    pages: Arc<minijinja::Environment<'static>>,
}

#[derive(Serialize)]
struct Player<'a> {
    username: &'a str,
    score: u64,
}

/// The demo site named `name`, signing players in through `kit`.
pub fn app(kit: &AuthKit, name: &str) -> Router {
    let mut pages = minijinja::Environment::new();
    pages
        .add_template("game.html", include_str!("../templates/game.html"))
        .expect("the game page parses"); // a compile-time asset, checked by the tests
    let game = Game {
        name: name.into(),
        scores: Arc::default(),
        pages: Arc::new(pages),
    };
    Router::new()
        .route("/", get(home))
        .route("/score", post(score))
        .with_state(game)
        .merge(kit.routes())
        .layer(kit.layer())
}

fn score_of(game: &Game, sub: &str) -> u64 {
    game.scores
        .lock()
        .map(|s| s.get(sub).copied().unwrap_or(0))
        .unwrap_or(0)
}

async fn home(State(game): State<Game>, player: Option<SignedIn>) -> Response {
    let player = player.as_ref().map(|p| Player {
        username: &p.username,
        score: score_of(&game, &p.sub),
    });
    let page = game.pages.get_template("game.html").and_then(|t| {
        t.render(
            minijinja::context! { name => &*game.name, player => minijinja::value::Serde(player) },
        )
    });
    match page {
        Ok(html) => Html(html).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

async fn score(State(game): State<Game>, player: SignedIn) -> Response {
    if let Ok(mut scores) = game.scores.lock() {
        *scores.entry(player.sub).or_default() += 1;
    }
    Redirect::to("/").into_response()
}
