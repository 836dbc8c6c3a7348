// An external subscriber of /hubs/runs, as a script or another service would be.
// usage: node hub-client.mjs <baseUrl> stream|group <runId>
//   stream: StreamRun(id) from the first event to the end; prints {"joined":true} at the first
//           event, then the events as a JSON array.
//   group:  JoinRun(id), then "events" messages (each an array: a batch of events in order) until
//           "runEnded"; prints {"joined":true} once it has joined and received a first event (the
//           caller may then end the run), then {events, messages, ended}.
// The API key to sign in with is in NETLAB_API_KEY (sent as a bearer token: a header on negotiate,
// access_token on the WebSocket, as browsers' WebSocket API allows no headers).
// Output is one JSON value per line.
import * as signalR from "@microsoft/signalr";

const [baseUrl, mode, runId] = process.argv.slice(2);
const connection = new signalR.HubConnectionBuilder()
  .withUrl(new URL("/hubs/runs", baseUrl).toString(), { accessTokenFactory: () => process.env.NETLAB_API_KEY ?? "" })
  .configureLogging(signalR.LogLevel.Warning)
  .build();

const timeout = setTimeout(() => { console.error("timed out"); process.exit(2); }, 60_000);
try {
  await connection.start();
  if (mode === "stream") {
    const events = [];
    await new Promise((resolve, reject) => {
      connection.stream("StreamRun", runId).subscribe({
        next: e => { if (events.push(e) === 1) console.log(JSON.stringify({ joined: true })); },
        complete: resolve, error: reject });
    });
    console.log(JSON.stringify(events));
  } else if (mode === "group") {
    const events = [];
    let messages = 0;
    const ended = new Promise(resolve => connection.on("runEnded", resolve));
    let first;
    const firstEvent = new Promise(resolve => { first = resolve; });
    connection.on("events", batch => { messages++; events.push(...batch); first(); });
    await connection.invoke("JoinRun", runId);
    await Promise.race([firstEvent, ended]);
    console.log(JSON.stringify({ joined: true }));
    const run = await ended;
    console.log(JSON.stringify({ events, messages, ended: run }));
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
} catch (e) {
  console.log(JSON.stringify({ error: String(e.message ?? e) }));
} finally {
  clearTimeout(timeout);
  await connection.stop();
}
