using System.Net;
using System.Net.Sockets;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Netlab.Labs.Core;
using Netlab.Labs.Heartbeat;

namespace Netlab.Labs.Tests.Heartbeat;

public class HeartbeatTests
{
    /// <summary>The portal's directory of in-process servers, reduced to the one server a test runs.</summary>
    private sealed class OneServer(ILabServer server) : ILabServerDirectory
    {
        public ILabServer? FindByEndPoint(IPEndPoint endPoint) => server.LocalEndPoint!.Port == endPoint.Port ? server : null;
    }

    private static async Task<(HeartbeatServer Server, Task<List<LabEvent>> Events)> StartAsync(HeartbeatServerOptions options)
    {
        var server = new HeartbeatServer(options, Loopback.AnyPort, new EventStream("hb", 100_000));
        await server.StartAsync();
        return (server, Loopback.DrainAsync(server.Events));
    }

    [Theory]
    [InlineData("1 1700000000.123456", 1, 1700000000.123456)]
    [InlineData("42 1700000000\n", 42, 1700000000.0)]
    public void Parses_heartbeats(string text, int sequence, double time)
    {
        Assert.True(HeartbeatMessage.TryParse(Encoding.ASCII.GetBytes(text), out var m));
        Assert.Equal((sequence, time), (m.Sequence, m.SentUnixSeconds));
    }

    [Theory]
    [InlineData("")]
    [InlineData("1")]
    [InlineData("0 1700000000")]
    [InlineData("-1 1700000000")]
    [InlineData("1 ")]
    [InlineData("1 abc")]
    [InlineData("1  1700000000")]
    [InlineData("x 1700000000")]
    [InlineData("1 -5")]
    [InlineData("1 1700000000 extra")]
    public void Rejects_anything_else(string text) => Assert.False(HeartbeatMessage.TryParse(Encoding.ASCII.GetBytes(text), out _));

    [Fact]
    public void Random_bytes_never_throw() =>
        Prop.ForAll<byte[]>(bytes => !HeartbeatMessage.TryParse(bytes, out var m) || m.Sequence >= 1).QuickCheckThrowOnFailure();

    [Fact]
    public void Duplicates_and_reordering_are_counted_not_mistaken_for_loss()
    {
        var tracker = new HeartbeatTracker("c");
        Assert.Equal(HeartbeatArrival.InOrder, tracker.Observe(1, 0).Arrival);
        var (arrival, missing) = tracker.Observe(4, 0);
        Assert.Equal(HeartbeatArrival.InOrder, arrival);
        Assert.Equal([2, 3], missing);
        Assert.Equal(2, tracker.Lost);
        Assert.Equal(HeartbeatArrival.Reordered, tracker.Observe(3, 0).Arrival);
        Assert.Equal(HeartbeatArrival.Duplicate, tracker.Observe(3, 0).Arrival);
        Assert.Equal(HeartbeatArrival.Duplicate, tracker.Observe(1, 0).Arrival);
        Assert.Equal((3, 1, 1, 2), (tracker.Received, tracker.Lost, tracker.Reordered, tracker.Duplicates));
        Assert.Equal([2], tracker.Missing);
    }

    [Fact]
    public void Forged_jumps_cannot_make_the_server_remember_without_bound()
    {
        var tracker = new HeartbeatTracker("c");
        tracker.Observe(1, 0);
        var (_, huge) = tracker.Observe(1_000_000, 0); // a new run of the client, or a forged number
        Assert.Empty(huge);
        Assert.Equal(0, tracker.Lost);
        for (var i = 1; i <= 30; i++)
            tracker.Observe(1_000_000 + i * 1001, 0); // 30 gaps of 1000
        Assert.Equal(30_000, tracker.Lost);            // all counted ...
        Assert.Equal(10_000, tracker.Missing.Count);    // ... but only the latest remembered
    }

    [Fact]
    public async Task The_server_counts_what_arrives_over_a_real_socket_in_any_order()
    {
        var (server, events) = await StartAsync(new HeartbeatServerOptions());
        using var client = Loopback.UdpClient();
        var before = DateTimeOffset.UtcNow;
        // The stray datagram first: the server reads in order, so it has been handled once the heartbeats have.
        await client.SendToAsync("hello"u8.ToArray(), SocketFlags.None, server.LocalEndPoint!);
        foreach (var seq in new[] { 1, 3, 2, 2, 5 })
            await client.SendToAsync(HeartbeatMessage.Format(seq, DateTimeOffset.UtcNow), SocketFlags.None, server.LocalEndPoint!);
        var stats = await Eventually.UntilAsync(() => Task.FromResult(server.Client(client.LocalEndPoint!.ToString()!)),
            s => s is not null && s.Received + s.Duplicates == 5, "the server to handle the five heartbeats");
        var after = DateTimeOffset.UtcNow;
        Assert.Equal((4, 1, 1, 1), (stats!.Received, stats.Lost, stats.Reordered, stats.Duplicates));
        await server.DisposeAsync();
        var all = await events;
        Assert.Contains(all.OfType<LogLine>(), l => l.Text.Contains("not a heartbeat"));
        // One clock at both ends: each one-way delay lies within the time the exchange took.
        Assert.All(all.OfType<HeartbeatReceived>(), r => Assert.InRange(r.OneWayDelayMs!.Value, -1, (after - before).TotalMilliseconds + 1));
    }

    [Fact]
    public async Task With_a_seeded_loss_the_lost_sequence_numbers_are_exactly_the_dropped_ones()
    {
        var (server, events) = await StartAsync(new HeartbeatServerOptions { LossRate = 0.3, Seed = 7 });
        var sink = new ListSink();
        await new HeartbeatClient(new HeartbeatClientOptions { IntervalMs = 10, Count = 60 }, new LabEnvironment(".") { Servers = new OneServer(server) })
            .RunAsync(Loopback.Target(server.LocalEndPoint!), sink, CancellationToken.None);
        var summary = Assert.Single(sink.Of<Summary>());
        await server.DisposeAsync();

        var received = (await events).OfType<HeartbeatReceived>().ToList();
        var dropped = received.Where(r => r.Arrival == HeartbeatArrival.Dropped).Select(r => r.Sequence).Where(s => s < 60).ToList();
        Assert.NotEmpty(dropped);
        var stats = server.Clients().Single();
        Assert.Equal(dropped.Count, stats.Lost);
        Assert.Equal(60, sink.Of<HeartbeatSent>().Count);
        Assert.Equal(60, summary.Values["sent"]);
        Assert.Equal(stats.Received, summary.Values["received"]);
        Assert.Equal(stats.Lost, summary.Values["lost"]);
        Assert.Contains("lost (one-way)", summary.Lines[1]);
    }

    [Fact]
    public async Task A_paused_client_is_declared_stopped_and_then_resumed_with_the_outage()
    {
        // The silence limit is wall-clock time in the server (no TimeProvider yet): long enough that a
        // loaded machine rarely stalls a 20 ms heartbeat past it; the assertions tolerate it if it does.
        const int limit = 1000;
        var (server, events) = await StartAsync(new HeartbeatServerOptions { StoppedAfterMs = limit });
        var client = new HeartbeatClient(new HeartbeatClientOptions { IntervalMs = 20 }, new LabEnvironment(".") { Servers = new OneServer(server) });
        using var cts = new CancellationTokenSource();
        var sink = new ListSink();
        var running = client.RunAsync(Loopback.Target(server.LocalEndPoint!), sink, cts.Token);

        await Eventually.UntilAsync(() => server.Clients().Count == 1, "the server to hear the client");
        client.Pause();
        await Eventually.UntilAsync(() => server.Clients().Single().Stopped, "the server to declare the paused client stopped");
        client.Resume();
        await Eventually.UntilAsync(() => !server.Clients().Single().Stopped, "the server to hear the resumed client");
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        await server.DisposeAsync();

        // Stopped, Resumed (the pause), in turns; a stall could add a pair, never break the order.
        var gaps = (await events).OfType<HeartbeatGap>().ToList();
        Assert.True(gaps.Count >= 2);
        Assert.Equal(gaps.Select((_, i) => i % 2 == 0 ? HeartbeatClientState.Stopped : HeartbeatClientState.Resumed), gaps.Select(g => g.State));
        // A resumed client was silent for longer than the limit (that is why it was stopped).
        Assert.All(gaps.Where(g => g.State == HeartbeatClientState.Resumed), g => Assert.True(g.SilenceMs > limit, $"{g.SilenceMs} ms"));
        Assert.Equal(0, server.Clients().Single().Lost); // a pause is silence, not loss
        Assert.Contains(sink.Of<LogLine>(), l => l.Text.StartsWith("Paused after heartbeat"));
        var outages = Assert.Single(sink.Of<Summary>()).Values["outages"]!.Value;
        Assert.InRange(outages, 1, gaps.Count(g => g.State == HeartbeatClientState.Stopped));
    }
}
