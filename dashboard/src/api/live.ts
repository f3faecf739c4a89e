// Live updates over GraphQL subscriptions (issue 7, branch `live`): the graphql-transport-ws
// protocol at `/graphql/ws`, authenticated in `connection_init` (browsers cannot set headers
// on a WebSocket). The dashboard subscribes to every subscription field about assessments,
// distributions or stock that needs no argument, selects only `__typename` (valid on any
// payload), and refreshes its panels on each event. Reconnects with backoff.

import type { Capabilities } from "./client";
import { token } from "./client";

/** Connection state shown to the user. */
export type LiveState = "unavailable" | "connecting" | "live" | "reconnecting";

const INTERESTING = /assessment|distribution|stock|movement|site/i;

/** The subscription fields this server offers that the dashboard can use. */
export function liveFields(caps: Capabilities): string[] {
  if (!caps.subscription) return [];
  return [...caps.subscription].filter((f) => INTERESTING.test(f) && (caps.subscriptionArgs.get(f) ?? []).length === 0).sort();
}

/** Subscribes to `fields`; calls `onEvent` per event and `onState` on state changes. Returns a stop function. */
export function connectLive(fields: string[], onEvent: (field: string) => void, onState: (s: LiveState) => void): () => void {
  if (fields.length === 0) {
    onState("unavailable");
    return () => {};
  }
  let socket: WebSocket | null = null;
  let stopped = false;
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const open = () => {
    onState(attempt === 0 ? "connecting" : "reconnecting");
    const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/graphql/ws`;
    const ws = new WebSocket(url, "graphql-transport-ws");
    socket = ws;
    ws.onopen = () => {
      ws.send(JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${token.get() ?? ""}` } }));
    };
    ws.onmessage = (ev) => {
      let msg: { type: string; id?: string };
      try {
        msg = JSON.parse(String(ev.data)) as { type: string; id?: string };
      } catch {
        return;
      }
      if (msg.type === "connection_ack") {
        attempt = 0;
        onState("live");
        for (const field of fields) {
          ws.send(JSON.stringify({ id: field, type: "subscribe", payload: { query: `subscription { ${field} { __typename } }` } }));
        }
      } else if (msg.type === "next" && msg.id) {
        onEvent(msg.id);
      } else if (msg.type === "ping") {
        ws.send(JSON.stringify({ type: "pong" }));
      }
    };
    ws.onclose = () => {
      socket = null;
      if (stopped) return;
      attempt += 1;
      onState("reconnecting");
      timer = setTimeout(open, Math.min(30_000, 1_000 * 2 ** Math.min(attempt, 5)));
    };
  };
  open();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    socket?.close(1000, "signed out");
  };
}
