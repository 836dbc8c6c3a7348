using System.Net;
using System.Net.Sockets;
using Netlab.Labs.Core;

namespace Netlab.Labs.Heartbeat;

/// <summary>
/// The heartbeat server: tracks each client (by address) from its sequence numbers and
/// timestamps: one-way delay, lost sequence numbers, duplicates and reordering, with the same
/// loss and delay simulation as the UDP ping server. A client silent for longer than the limit
/// is declared stopped; when it is heard again, resumed, with the length of the outage.
/// </summary>
public sealed class HeartbeatServer : UdpLabServer
{
    private const int MaxClients = 1_000;

    private readonly HeartbeatServerOptions options;
    private readonly PacketImpairment impairment;
    private readonly Lock gate = new();
    private readonly Dictionary<string, HeartbeatTracker> clients = [];
    private readonly TimeProvider time;
    /// <summary>Set (under the gate) for the moment the soonest-silent client passes the limit; null when not serving.</summary>
    private ITimer? silenceTimer;
    /// <summary>Whether <see cref="silenceTimer"/> is set; when not, the next heartbeat sets it.</summary>
    private bool watching;

    /// <param name="time">The clock of silences, outages and the added delay; null = the system's.</param>
    public HeartbeatServer(HeartbeatServerOptions options, IPEndPoint endpoint, EventStream events, TimeProvider? time = null) : base("heartbeat", endpoint, events)
    {
        this.options = options;
        impairment = options.CreateImpairment();
        this.time = time ?? TimeProvider.System;
    }

    private TimeSpan Limit => TimeSpan.FromMilliseconds(options.StoppedAfterMs);

    public sealed record ClientStats(string Client, int Highest, int Received, int Lost, int Duplicates, int Reordered, int Outages, bool Stopped, double? LastDelayMs);

    public IReadOnlyList<ClientStats> Clients()
    {
        lock (gate)
            return [.. clients.Values.Select(Snapshot)];
    }

    public ClientStats? Client(string client)
    {
        lock (gate)
            return clients.TryGetValue(client, out var t) ? Snapshot(t) : null;
    }

    private static ClientStats Snapshot(HeartbeatTracker t) => new(t.Client, t.Highest, t.Received, t.Lost, t.Duplicates, t.Reordered, t.Outages, t.Stopped, t.LastDelayMs);

    protected override string Listening(EndPoint local) =>
        $"Heartbeat server on {local}, {impairment.Describe()}, a client silent for {options.StoppedAfterMs} ms is stopped. " +
        "One-way delays compare the client's clock with this host's: exact on one machine, off by the clocks' difference across machines.";

    protected override async Task ServeAsync(CancellationToken stoppingToken)
    {
        // One timer, set for when the soonest-silent client passes the limit: "stopped" is declared
        // then, not at the next tick of a poll, and an idle server does not wake at all.
        await using var timer = time.CreateTimer(_ => CheckSilences(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        lock (gate) silenceTimer = timer;
        try
        {
            await base.ServeAsync(stoppingToken);
        }
        finally
        {
            lock (gate) silenceTimer = null;
        }
    }

    protected override void OnDatagram(Span<byte> datagram, SocketAddress from, string client, CancellationToken stopping)
    {
        var arrived = time.GetUtcNow();
        if (!HeartbeatMessage.TryParse(datagram, out var message))
        {
            Events.Emit(new LogLine(LogSeverity.Warning, $"{client}: not a heartbeat (\"{Printable.Ascii(datagram, 60)}\"), ignored"));
            return;
        }
        var (drop, delay) = impairment.Next();
        if (drop)
        {
            Events.Emit(new HeartbeatReceived(client, message.Sequence, HeartbeatArrival.Dropped, null, 0, 0, 0, 0, []));
            return;
        }
        if (delay > TimeSpan.Zero)
            _ = Task.Delay(delay, time, stopping).ContinueWith(_ => Process(client, message, arrived + delay), TaskContinuationOptions.OnlyOnRanToCompletion);
        else
            Process(client, message, arrived);
    }

    private void Process(string client, HeartbeatMessage message, DateTimeOffset arrived)
    {
        var delay = (arrived - DateTimeOffset.UnixEpoch).TotalSeconds * 1000 - message.SentUnixSeconds * 1000;
        HeartbeatReceived seen;
        double? outage;
        lock (gate)
        {
            if (!clients.TryGetValue(client, out var tracker))
            {
                if (clients.Count >= MaxClients)
                {
                    Events.Emit(new LogLine(LogSeverity.Warning, $"{client}: already tracking {MaxClients} clients; heartbeat ignored"));
                    return;
                }
                clients[client] = tracker = new HeartbeatTracker(client, time);
            }
            outage = tracker.Heard(time.GetTimestamp());
            if (!watching)
                WatchFor(Limit);
            var (arrival, newlyMissing) = tracker.Observe(message.Sequence, delay);
            seen = new HeartbeatReceived(client, message.Sequence, arrival, delay, tracker.Received, tracker.Lost, tracker.Duplicates, tracker.Reordered, newlyMissing);
            if (outage is { } silence)
                Events.Emit(new HeartbeatGap(client, HeartbeatClientState.Resumed, silence, message.Sequence));
            Events.Emit(seen);
        }
    }

    /// <summary>Declares stopped every client silent for longer than the limit, and sets the timer for the next one.</summary>
    private void CheckSilences()
    {
        lock (gate)
        {
            var now = time.GetTimestamp();
            TimeSpan? soonest = null;
            foreach (var tracker in clients.Values)
            {
                if (tracker.CheckSilence(now, Limit))
                    Events.Emit(new HeartbeatGap(tracker.Client, HeartbeatClientState.Stopped, time.GetElapsedTime(tracker.LastHeard, now).TotalMilliseconds, tracker.Highest));
                else if (!tracker.Stopped && Limit - time.GetElapsedTime(tracker.LastHeard, now) is var left && (soonest is null || left < soonest))
                    soonest = left;
            }
            WatchFor(soonest);
        }
    }

    /// <summary>Sets the timer to fire just after <paramref name="untilLimit"/> (null = nobody to watch). Called under the gate.</summary>
    private void WatchFor(TimeSpan? untilLimit)
    {
        watching = untilLimit is not null;
        // A client is stopped when silent for longer than the limit, so the check comes just past it,
        // in whole milliseconds as system timers count (never 0: that would spin until the clock moves).
        var due = untilLimit is { } t ? TimeSpan.FromMilliseconds(Math.Ceiling(t.TotalMilliseconds) + 1) : Timeout.InfiniteTimeSpan;
        silenceTimer?.Change(due, Timeout.InfiniteTimeSpan);
    }
}
