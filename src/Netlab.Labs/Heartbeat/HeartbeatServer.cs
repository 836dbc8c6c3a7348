using System.Diagnostics;
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
public sealed class HeartbeatServer : LabServer
{
    private const int MaxClients = 1_000;

    private readonly HeartbeatServerOptions options;
    private readonly PacketImpairment impairment;
    private readonly Lock gate = new();
    private readonly Dictionary<string, HeartbeatTracker> clients = [];
    private Socket? socket;

    public HeartbeatServer(HeartbeatServerOptions options, IPEndPoint endpoint, EventStream events) : base("heartbeat", endpoint, events)
    {
        this.options = options;
        impairment = options.CreateImpairment();
    }

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

    protected override IPEndPoint Bind(IPEndPoint requested)
    {
        var s = new Socket(requested.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            s.Bind(requested);
        }
        catch
        {
            s.Dispose();
            throw;
        }
        socket = s;
        Events.Emit(new LogLine(LogSeverity.Info, $"Heartbeat server on {s.LocalEndPoint}, {impairment.Describe()}, a client silent for {options.StoppedAfterMs} ms is stopped. " +
            "One-way delays compare the client's clock with this host's: exact on one machine, off by the clocks' difference across machines."));
        return (IPEndPoint)s.LocalEndPoint!;
    }

    protected override Task ServeAsync(CancellationToken stoppingToken) => ServeAllAsync(ReceiveAsync(stoppingToken), WatchSilenceAsync(stoppingToken));

    private async Task ReceiveAsync(CancellationToken stoppingToken)
    {
        var buffer = new byte[65_535];
        var from = new SocketAddress(socket!.AddressFamily);
        while (!stoppingToken.IsCancellationRequested)
        {
            int length;
            try
            {
                length = await socket.ReceiveFromAsync(buffer, SocketFlags.None, from, stoppingToken);
            }
            catch (SocketException e) when (!stoppingToken.IsCancellationRequested && e.SocketErrorCode is SocketError.ConnectionReset or SocketError.MessageSize)
            {
                continue;
            }
            var arrived = DateTimeOffset.UtcNow;
            var client = new IPEndPoint(IPAddress.Any, 0).Create(from).ToString() ?? "?";
            if (!HeartbeatMessage.TryParse(buffer.AsSpan(0, length), out var message))
            {
                Events.Emit(new LogLine(LogSeverity.Warning, $"{client}: not a heartbeat (\"{Printable.Ascii(buffer.AsSpan(0, length), 60)}\"), ignored"));
                continue;
            }
            var (drop, delay) = impairment.Next();
            if (drop)
            {
                Events.Emit(new HeartbeatReceived(client, message.Sequence, HeartbeatArrival.Dropped, null, 0, 0, 0, 0, []));
                continue;
            }
            if (delay > TimeSpan.Zero)
                _ = Task.Delay(delay, stoppingToken).ContinueWith(_ => Process(client, message, arrived + delay), TaskContinuationOptions.OnlyOnRanToCompletion);
            else
                Process(client, message, arrived);
        }
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
                clients[client] = tracker = new HeartbeatTracker(client);
            }
            outage = tracker.Heard(Stopwatch.GetTimestamp());
            var (arrival, newlyMissing) = tracker.Observe(message.Sequence, delay);
            seen = new HeartbeatReceived(client, message.Sequence, arrival, delay, tracker.Received, tracker.Lost, tracker.Duplicates, tracker.Reordered, newlyMissing);
            if (outage is { } silence)
                Events.Emit(new HeartbeatGap(client, HeartbeatClientState.Resumed, silence, message.Sequence));
            Events.Emit(seen);
        }
    }

    private async Task WatchSilenceAsync(CancellationToken stoppingToken)
    {
        var limit = TimeSpan.FromMilliseconds(options.StoppedAfterMs);
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Clamp(options.StoppedAfterMs / 10, 5, 100)));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var now = Stopwatch.GetTimestamp();
            lock (gate)
            {
                foreach (var tracker in clients.Values)
                    if (tracker.CheckSilence(now, limit))
                        Events.Emit(new HeartbeatGap(tracker.Client, HeartbeatClientState.Stopped, Stopwatch.GetElapsedTime(tracker.LastHeard, now).TotalMilliseconds, tracker.Highest));
            }
        }
    }

    protected override void CloseListener() => socket?.Dispose();
}
