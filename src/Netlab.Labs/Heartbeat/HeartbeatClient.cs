using System.Net;
using System.Net.Sockets;
using Netlab.Labs.Core;

namespace Netlab.Labs.Heartbeat;

/// <summary>
/// The heartbeat client: sends <c>sequence timestamp</c> at a fixed interval until its count or
/// until cancelled, and can be paused and resumed so a student can watch the server notice.
/// Its summary says what the server saw when the server runs in the same portal.
/// </summary>
public sealed class HeartbeatClient(HeartbeatClientOptions options, LabEnvironment environment) : IProbe, IPausable
{
    private volatile bool paused;

    public bool Paused => paused;

    public void Pause() => paused = true;

    public void Resume() => paused = false;

    public async Task RunAsync(ProbeTarget target, IEventSink events, CancellationToken cancellationToken)
    {
        using var socket = new Socket(target.Address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Connect(target.EndPoint);
        var local = socket.LocalEndPoint!.ToString()!;
        events.Emit(new LogLine(LogSeverity.Info, $"Heartbeats from {local} to {target} every {options.IntervalMs} ms{(options.Count > 0 ? $", {options.Count} of them" : " until stopped")}"));
        var sent = 0;
        var wasPaused = false;
        var time = environment.Time;
        var started = time.GetTimestamp();
        var interval = TimeSpan.FromMilliseconds(options.IntervalMs);
        var due = TimeSpan.Zero; // when the next heartbeat is due, from the start: no drift from late wake-ups
        try
        {
            while (options.Count == 0 || sent < options.Count)
            {
                if (paused != wasPaused)
                {
                    wasPaused = paused;
                    events.Emit(new LogLine(LogSeverity.Info, paused ? $"Paused after heartbeat {sent}" : $"Resumed at heartbeat {sent + 1}"));
                }
                if (!paused)
                {
                    sent++;
                    try
                    {
                        await socket.SendAsync(HeartbeatMessage.Format(sent, time.GetUtcNow()), SocketFlags.None, cancellationToken);
                    }
                    catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.ConnectionReset)
                    {
                        // One-way: an ICMP "port unreachable" for an earlier heartbeat is worth a note, not a stop.
                        events.Emit(new LogLine(LogSeverity.Warning, $"Heartbeat {sent}: nothing listens on {target} (ICMP port unreachable)"));
                    }
                    events.Emit(new HeartbeatSent(sent));
                }
                due += interval;
                var wait = due - time.GetElapsedTime(started);
                if (wait > TimeSpan.Zero)
                    await Task.Delay(wait, time, cancellationToken);
            }
            // Let the last heartbeat arrive before asking the server what it saw.
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(200, options.IntervalMs)), time, cancellationToken);
        }
        catch (OperationCanceledException) when (options.Count == 0 && cancellationToken.IsCancellationRequested)
        {
            // A client without a count runs until it is stopped: stopping it is how it ends, not a failure.
            events.Emit(new LogLine(LogSeverity.Info, $"Stopped after heartbeat {sent}"));
        }
        finally
        {
            events.Emit(Summarize(target, local, sent, time.GetElapsedTime(started)));
        }
    }

    private Summary Summarize(ProbeTarget target, string local, int sent, TimeSpan elapsed)
    {
        var server = environment.Servers?.FindByEndPoint(target.EndPoint) as HeartbeatServer;
        var seen = server?.Client(local);
        var lines = new List<string> { $"{sent} heartbeats sent in {elapsed.TotalSeconds:F1} s" };
        var values = new Dictionary<string, double?> { ["sent"] = sent };
        if (seen is null)
        {
            lines.Add(server is null
                ? "The server is not one of this portal's, so what it received is in its own report."
                : "The server has not heard from this client.");
        }
        else
        {
            // Lost is what was sent and never arrived, so the count and the percentage agree; the
            // server's own count (gaps in the sequence) misses heartbeats lost at the very end.
            var lost = Math.Max(0, sent - seen.Received);
            var lossPercent = sent == 0 ? 0 : lost * 100.0 / sent;
            lines.Add($"received by the server {seen.Received}, lost (one-way) {lost}, {lossPercent:G4}% loss, {seen.Outages} outage{(seen.Outages == 1 ? "" : "s")} detected");
            if (seen.Duplicates + seen.Reordered > 0)
                lines.Add($"{seen.Duplicates} duplicates and {seen.Reordered} reordered, not counted as loss");
            values["received"] = seen.Received;
            values["lost"] = lost;
            values["gapsSeenByServer"] = seen.Lost;
            values["lossPercent"] = lossPercent;
            values["outages"] = seen.Outages;
            values["duplicates"] = seen.Duplicates;
            values["reordered"] = seen.Reordered;
        }
        return new Summary(lines, values);
    }
}
