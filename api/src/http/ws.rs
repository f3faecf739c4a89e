//! `GET /graphql/ws`: GraphQL over WebSocket, the `graphql-transport-ws` protocol
//! (github.com/enisdenjo/graphql-ws, PROTOCOL.md), owned here rather than taken from the
//! stock integration so that authentication happens in `connection_init` (browsers cannot
//! set headers on a WebSocket) and every close code is the protocol's:
//!
//! - `connection_init` must carry `{"authorization": "Bearer <token>"}` or
//!   `{"token": "<token>"}`; a missing, unknown or revoked token closes with 4403, and so
//!   does an open connection whose token is revoked (checked every `ws_reauth_secs`);
//!   a second `connection_init` with 4429; none within the timeout with 4408;
//! - `subscribe` before `connection_ack` closes with 4401; an id already in use with 4409;
//!   a message that is not one of the protocol's with 4400; a wrong subprotocol with 4406;
//! - `ping` is answered with `pong`; `complete` from the client stops that operation;
//! - an operation refused before execution (parse, validation, depth, complexity) gets an
//!   `error` message; one over the per-connection limit gets an `error` with
//!   `extensions.code` `LIMIT_EXCEEDED`; otherwise results go out as `next`, then `complete`.

use std::collections::HashMap;

use async_graphql::{Request as GqlRequest, Response as GqlResponse, Variables};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::Response;
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

use super::AppState;
use super::graphql::{classify, client_app};
use crate::auth::{Caller, ClientApp, hash_token};
use crate::graphql::error::code;
use crate::live::LiveHub;
use crate::storage::accounts::TokenStatus;

/// The one subprotocol served.
const PROTOCOL: &str = "graphql-transport-ws";

/// Wakes this process's subscriptions after every request that may have written (anything
/// but `GET`, `HEAD` and `OPTIONS`), once its transaction has committed and it is answered.
pub(super) async fn wake_after_writes(
    State(hub): State<LiveHub>,
    request: Request,
    next: Next,
) -> Response {
    let writes = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let response = next.run(request).await;
    if writes {
        hub.wake();
    }
    response
}

/// Upgrades the connection and serves the protocol on it.
pub(super) async fn upgrade(
    State(state): State<AppState>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let limit = state.settings.max_body_bytes;
    let ws = ws
        .protocols([PROTOCOL])
        .max_message_size(limit)
        .max_frame_size(limit);
    let accepted = ws.selected_protocol().is_some();
    let client = client_app(&headers);
    ws.on_upgrade(move |mut socket| async move {
        if accepted {
            Connection::new(state, client).serve(socket).await;
        } else {
            close(
                &mut socket,
                4406,
                "Subprotocol not acceptable: use graphql-transport-ws",
            )
            .await;
        }
    })
}

/// A message from the client.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientMessage {
    ConnectionInit {
        #[serde(default)]
        payload: Option<Value>,
    },
    Ping {
        #[serde(default)]
        #[expect(dead_code, reason = "the protocol allows a payload; pongs carry none")]
        payload: Option<Value>,
    },
    Pong {
        #[serde(default)]
        #[expect(dead_code, reason = "the protocol allows a payload; nothing reads it")]
        payload: Option<Value>,
    },
    Subscribe {
        id: String,
        payload: SubscribePayload,
    },
    Complete {
        id: String,
    },
}

/// A `subscribe` message's request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SubscribePayload {
    query: String,
    #[serde(default)]
    operation_name: Option<String>,
    #[serde(default)]
    variables: Option<Value>,
    #[serde(default)]
    #[expect(
        dead_code,
        reason = "accepted as the protocol allows; no extension is read"
    )]
    extensions: Option<Value>,
}

/// What operation tasks hand the connection.
#[derive(Debug)]
enum Outgoing {
    /// A message to send.
    Send(Value),
    /// The operation `id` (started as `generation`) is over.
    Done { id: String, generation: u64 },
}

/// Why the connection closes.
struct Close(u16, String);

struct Connection {
    state: AppState,
    client: ClientApp,
    caller: Option<Caller>,
    /// The hash of the connection's token, checked again every `ws_reauth_secs`.
    token_hash: Option<String>,
    initialised: bool,
    operations: HashMap<String, (u64, AbortHandle)>,
    generation: u64,
    outgoing: mpsc::Sender<Outgoing>,
    incoming: mpsc::Receiver<Outgoing>,
}

impl Connection {
    fn new(state: AppState, client: ClientApp) -> Self {
        let (outgoing, incoming) = mpsc::channel(64);
        Self {
            state,
            client,
            caller: None,
            token_hash: None,
            initialised: false,
            operations: HashMap::new(),
            generation: 0,
            outgoing,
            incoming,
        }
    }

    async fn serve(mut self, mut socket: WebSocket) {
        let init_deadline = tokio::time::sleep(std::time::Duration::from_secs(
            self.state.settings.ws_init_timeout_secs.max(1),
        ));
        tokio::pin!(init_deadline);
        let every = std::time::Duration::from_secs(self.state.settings.ws_reauth_secs.max(1));
        let mut reauthenticate =
            tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        let closing = loop {
            tokio::select! {
                () = &mut init_deadline, if !self.initialised => {
                    break Some(Close(4408, "Connection initialisation timeout".to_owned()));
                }
                _ = reauthenticate.tick(), if self.token_hash.is_some() => {
                    if let Err(close) = self.still_valid().await {
                        break Some(close);
                    }
                }
                message = socket.recv() => match message {
                    Some(Ok(Message::Text(text))) => match self.receive(text.as_str()).await {
                        Ok(replies) => {
                            let mut failed = false;
                            for reply in replies {
                                failed |= socket.send(text_message(&reply)).await.is_err();
                            }
                            if failed {
                                break None;
                            }
                        }
                        Err(close) => break Some(close),
                    },
                    Some(Ok(Message::Binary(_))) => {
                        break Some(Close(4400, "Invalid message received: binary frames are not part of graphql-transport-ws".to_owned()));
                    }
                    // The WebSocket layer answers pings itself.
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                    Some(Ok(Message::Close(_)) | Err(_)) | None => break None,
                },
                Some(out) = self.incoming.recv() => match out {
                    Outgoing::Send(message) => {
                        if socket.send(text_message(&message)).await.is_err() {
                            break None;
                        }
                    }
                    Outgoing::Done { id, generation } => {
                        if self.operations.get(&id).is_some_and(|(g, _)| *g == generation) {
                            self.operations.remove(&id);
                        }
                    }
                },
            }
        };
        for (_, (_, task)) in self.operations.drain() {
            task.abort();
        }
        if let Some(Close(code, reason)) = closing {
            close(&mut socket, code, &reason).await;
        }
    }

    /// Handles one text message: the replies to send, or why to close.
    async fn receive(&mut self, text: &str) -> Result<Vec<Value>, Close> {
        let message: ClientMessage = serde_json::from_str(text)
            .map_err(|e| Close(4400, format!("Invalid message received: {e}")))?;
        match message {
            ClientMessage::ConnectionInit { payload } => {
                if self.initialised {
                    return Err(Close(4429, "Too many initialisation requests".to_owned()));
                }
                self.initialised = true;
                let (caller, token_hash) = self.authenticate(payload).await?;
                self.caller = Some(caller);
                self.token_hash = Some(token_hash);
                Ok(vec![json!({ "type": "connection_ack" })])
            }
            ClientMessage::Ping { .. } => Ok(vec![json!({ "type": "pong" })]),
            ClientMessage::Pong { .. } => Ok(Vec::new()),
            ClientMessage::Subscribe { id, payload } => self.subscribe(id, payload),
            ClientMessage::Complete { id } => {
                if let Some((_, task)) = self.operations.remove(&id) {
                    task.abort();
                }
                Ok(Vec::new())
            }
        }
    }

    /// The caller named by the `connection_init` payload's token, and the token's hash.
    async fn authenticate(&self, payload: Option<Value>) -> Result<(Caller, String), Close> {
        let forbidden = |why: &str| Close(4403, format!("Forbidden: {why}"));
        let payload = payload.unwrap_or(Value::Null);
        let field = |name: &str| {
            payload.as_object().and_then(|o| {
                o.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .and_then(|(_, v)| v.as_str())
            })
        };
        let token = match (field("authorization"), field("token")) {
            (Some(header), _) => match header.trim().split_once(' ') {
                Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
                _ => return Err(forbidden("authorization must be `Bearer <token>`")),
            },
            (None, Some(token)) => token.trim(),
            (None, None) => {
                return Err(forbidden(
                    "send {\"authorization\": \"Bearer <token>\"} or {\"token\": \"<token>\"} in connection_init",
                ));
            }
        };
        if token.is_empty() {
            return Err(forbidden("the token is empty"));
        }
        let hash = hash_token(token);
        match self.state.check_token(&hash).await {
            Ok(TokenStatus::Live { caller, .. }) => Ok((caller, hash)),
            Ok(_) => Err(forbidden("the token is unknown, expired or revoked")),
            Err(err) => {
                tracing::error!(error = %err, "authenticating a WebSocket connection");
                Err(Close(1011, "Internal error: try again shortly".to_owned()))
            }
        }
    }

    /// Closes with 4403 once the token stops working. Subscriptions keep the caller they
    /// started with; a changed role or area applies to the next connection. A database
    /// error leaves the connection open until the next check.
    async fn still_valid(&self) -> Result<(), Close> {
        let Some(hash) = &self.token_hash else {
            return Ok(());
        };
        match self.state.check_token(hash).await {
            Ok(TokenStatus::Live { .. }) => Ok(()),
            Ok(_) => Err(Close(
                4403,
                "Forbidden: the token was revoked or expired".to_owned(),
            )),
            Err(err) => {
                tracing::warn!(error = %err, "re-checking a WebSocket connection's token");
                Ok(())
            }
        }
    }

    /// Starts operation `id`.
    fn subscribe(&mut self, id: String, payload: SubscribePayload) -> Result<Vec<Value>, Close> {
        let Some(caller) = self.caller.clone() else {
            return Err(Close(4401, "Unauthorized".to_owned()));
        };
        if self.operations.contains_key(&id) {
            return Err(Close(4409, format!("Subscriber for {id} already exists")));
        }
        let max = self.state.settings.ws_max_subscriptions;
        if self.operations.len() >= max {
            return Ok(vec![json!({
                "type": "error",
                "id": id,
                "payload": [{
                    "message": format!("at most {max} subscriptions per connection; complete one or open another connection"),
                    "extensions": { "code": code::LIMIT_EXCEEDED },
                }],
            })]);
        }
        let mut request = GqlRequest::new(payload.query)
            .data(caller)
            .data(self.client.clone())
            .data(self.state.live.clone());
        if let Some(name) = payload.operation_name {
            request = request.operation_name(name);
        }
        if let Some(variables) = payload.variables {
            request = request.variables(Variables::from_json(variables));
        }
        self.generation += 1;
        let generation = self.generation;
        let task = tokio::spawn(run(
            self.state.schema.clone(),
            self.state.live.clone(),
            request,
            id.clone(),
            generation,
            self.outgoing.clone(),
        ));
        self.operations
            .insert(id, (generation, task.abort_handle()));
        Ok(Vec::new())
    }
}

/// Runs one operation, handing its messages to the connection.
async fn run(
    schema: crate::graphql::CamptrackSchema,
    hub: LiveHub,
    request: GqlRequest,
    id: String,
    generation: u64,
    out: mpsc::Sender<Outgoing>,
) {
    let mut responses = std::pin::pin!(schema.execute_stream(request));
    let mut first = true;
    let mut refused = false;
    while let Some(mut response) = responses.next().await {
        response.errors.iter_mut().for_each(classify);
        let message = if first && refused_before_execution(&response) {
            refused = true;
            json!({ "type": "error", "id": id, "payload": response.errors })
        } else {
            json!({ "type": "next", "id": id, "payload": response })
        };
        first = false;
        if out.send(Outgoing::Send(message)).await.is_err() {
            return;
        }
        if refused {
            break;
        }
    }
    if !refused {
        let _ = out
            .send(Outgoing::Send(json!({ "type": "complete", "id": id })))
            .await;
    }
    let _ = out.send(Outgoing::Done { id, generation }).await;
    // A query or mutation sent over the socket may have written.
    hub.wake();
}

/// Whether the operation failed before it ran (parse, validation, limits): no data, and no
/// error tied to a field.
fn refused_before_execution(response: &GqlResponse) -> bool {
    !response.errors.is_empty()
        && response.data == async_graphql::Value::Null
        && response.errors.iter().all(|e| e.path.is_empty())
}

fn text_message(value: &Value) -> Message {
    Message::Text(value.to_string().into())
}

async fn close(socket: &mut WebSocket, code: u16, reason: &str) {
    // Close reasons are limited to 123 bytes by the WebSocket protocol.
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    let _ = socket
        .send(Message::Close(Some(CloseFrame {
            code,
            reason: reason[..end].into(),
        })))
        .await;
}
