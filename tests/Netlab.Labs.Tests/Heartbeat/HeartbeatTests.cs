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

    private static async Task<(HeartbeatServer Server, Task<List<LabEvent>> Events)> StartAsync(HeartbeatServerOptions options, TimeProvider? time = null)
    {
        var server = new HeartbeatServer(options, Loopback.AnyPort, new EventStream("hb", 100_000), time);
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
        await client.SendToAsync("hello"u8.ToArray(), SocketFlags.None, server.LocalEndPoint!);
        foreach (var seq in new[] { 1, 3, 2, 2, 5 })
            await client.SendToAsync(HeartbeatMessage.Format(seq, DateTimeOffset.UtcNow), SocketFlags.None, server.LocalEndPoint!);
        var name = client.LocalEndPoint!.ToString()!;
        await Eventually.UntilAsync(() => server.Client(name) is { } c && c.Received + c.Duplicates == 5, "all five heartbeats");
        var stats = server.Client(name)!;
        Assert.Equal((4, 1, 1, 1), (stats.Received, stats.Lost, stats.Reordered, stats.Duplicates));
        await server.DisposeAsync();
        var all = await events;
        Assert.Contains(all.OfType<LogLine>(), l => l.Text.Contains("not a heartbeat"));
        Assert.All(all.OfType<HeartbeatReceived>(), r => Assert.InRange(r.OneWayDelayMs!.Value, -50, 1000));
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
        // Lost is sent minus received (the last heartbeat too), and the percentage says the same.
        Assert.Equal(60 - stats.Received, summary.Values["lost"]);
        Assert.Equal(summary.Values["lost"]!.Value * 100.0 / 60, summary.Values["lossPercent"]!.Value, 6);
        Assert.Equal(stats.Lost, summary.Values["gapsSeenByServer"]);
        Assert.Contains($"lost (one-way) {60 - stats.Received},", summary.Lines[1]);
    }

    [Fact]
    public async Task Stopping_a_client_without_a_count_ends_it_normally_with_its_summary()
    {
        var (server, _) = await StartAsync(new HeartbeatServerOptions { LossRate = 0 });
        await using var _s = server;
        var sink = new ListSink();
        using var stop = new CancellationTokenSource();
        var run = new HeartbeatClient(new HeartbeatClientOptions { IntervalMs = 10, Count = 0 }, new LabEnvironment(".") { Servers = new OneServer(server) })
            .RunAsync(Loopback.Target(server.LocalEndPoint!), sink, stop.Token);
        await Eventually.UntilAsync(() => sink.Of<HeartbeatSent>().Count >= 3, "three heartbeats");
        stop.Cancel();
        await run; // no OperationCanceledException: stopping is how an endless client ends

        var sent = sink.Of<HeartbeatSent>().Count;
        Assert.Contains(sink.Of<LogLine>(), l => l.Text == $"Stopped after heartbeat {sent}");
        Assert.Equal(sent, Assert.Single(sink.Of<Summary>()).Values["sent"]);
    }

    [Fact]
    public void A_tracker_declares_silence_only_once_the_limit_is_passed()
    {
        var clock = new TestClock();
        var limit = TimeSpan.FromSeconds(3);
        var tracker = new HeartbeatTracker("c", clock);
        Assert.False(tracker.CheckSilence(clock.GetTimestamp(), limit)); // never heard: nothing to miss
        Assert.Null(tracker.Heard(clock.GetTimestamp()));
        clock.Advance(limit);
        Assert.False(tracker.CheckSilence(clock.GetTimestamp(), limit)); // silent for the limit exactly: not longer
        clock.Advance(TimeSpan.FromTicks(1));
        Assert.True(tracker.CheckSilence(clock.GetTimestamp(), limit));
        Assert.False(tracker.CheckSilence(clock.GetTimestamp(), limit)); // declared once
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal((limit + TimeSpan.FromTicks(1) + TimeSpan.FromSeconds(2)).TotalMilliseconds, tracker.Heard(clock.GetTimestamp()));
        Assert.Equal((1, false), (tracker.Outages, tracker.Stopped));
    }

    [Fact]
    public async Task The_server_declares_a_client_stopped_when_the_clock_passes_the_limit_and_not_before()
    {
        var clock = new TestClock();
        var (server, events) = await StartAsync(new HeartbeatServerOptions { StoppedAfterMs = 1000 }, clock);
        using var client = Loopback.UdpClient();
        var name = client.LocalEndPoint!.ToString()!;
        await client.SendToAsync(HeartbeatMessage.Format(1, clock.GetUtcNow()), SocketFlags.None, server.LocalEndPoint!);
        await Eventually.UntilAsync(() => server.Client(name) is not null, "the first heartbeat");

        // The fake clock fires due timers inside Advance, so each assertion sees the check done.
        for (var ms = 0; ms < 1000; ms += 100)
        {
            clock.Advance(TimeSpan.FromMilliseconds(100));
            Assert.False(server.Client(name)!.Stopped, $"stopped after {ms + 100} ms of silence");
        }
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(server.Client(name)!.Stopped);

        clock.Advance(TimeSpan.FromMilliseconds(499));
        await client.SendToAsync(HeartbeatMessage.Format(2, clock.GetUtcNow()), SocketFlags.None, server.LocalEndPoint!);
        await Eventually.UntilAsync(() => server.Client(name)!.Received == 2, "the second heartbeat");
        Assert.False(server.Client(name)!.Stopped);
        await server.DisposeAsync();

        var gaps = (await events).OfType<HeartbeatGap>().ToList();
        Assert.Equal([(HeartbeatClientState.Stopped, 1001.0), (HeartbeatClientState.Resumed, 1500.0)], gaps.Select(g => (g.State, g.SilenceMs)));
        Assert.Equal(1, server.Client(name)!.Outages);
    }

    [Fact]
    public async Task A_paused_client_is_declared_stopped_and_then_resumed_with_the_outage()
    {
        // Client and server share a fake clock: the client's interval and the server's silence
        // limit move only when the test advances it.
        var clock = new TestClock();
        var (server, events) = await StartAsync(new HeartbeatServerOptions { StoppedAfterMs = 150 }, clock);
        var client = new HeartbeatClient(new HeartbeatClientOptions { IntervalMs = 20 }, new LabEnvironment(".") { Servers = new OneServer(server), Time = clock });
        using var cts = new CancellationTokenSource();
        var sink = new ListSink();
        var running = client.RunAsync(Loopback.Target(server.LocalEndPoint!), sink, cts.Token);

        await Eventually.UntilAsync(() => server.Clients() is [{ Received: 1 }], "the first heartbeat");
        client.Pause();
        var step = TimeSpan.FromMilliseconds(1);
        await clock.AdvanceUntilAsync(() => sink.Of<LogLine>().Any(l => l.Text.StartsWith("Paused after heartbeat")), step, "the client to see the pause");
        await clock.AdvanceUntilAsync(() => server.Clients().Single().Stopped, step, "the client declared stopped");
        Assert.Equal(1, server.Clients().Single().Received); // nothing sent while paused
        client.Resume();
        await clock.AdvanceUntilAsync(() => server.Clients().Single().Received == 2, step, "the resumed heartbeat");
        Assert.False(server.Clients().Single().Stopped);
        cts.Cancel();
        await running; // an endless client ends normally when it is stopped
        await server.DisposeAsync();

        var gaps = (await events).OfType<HeartbeatGap>().ToList();
        Assert.Equal([HeartbeatClientState.Stopped, HeartbeatClientState.Resumed], gaps.Select(g => g.State));
        Assert.True(gaps[0].SilenceMs > 150, $"stopped after {gaps[0].SilenceMs} ms"); // the fake clock's ms, not the wall's
        Assert.True(gaps[1].SilenceMs >= gaps[0].SilenceMs);
        Assert.Equal(0, server.Clients().Single().Lost); // a pause is silence, not loss
        Assert.Equal(1, Assert.Single(sink.Of<Summary>()).Values["outages"]);
    }
}
