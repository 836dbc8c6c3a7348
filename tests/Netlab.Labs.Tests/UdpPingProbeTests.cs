using System.Net;
using System.Net.Sockets;
using System.Text;
using Netlab.Labs.Core;
using Netlab.Labs.UdpPing;

namespace Netlab.Labs.Tests;

public class UdpPingProbeTests
{
    private static async Task<ListSink> RunAsync(IPEndPoint server, UdpPingProbeOptions options, CancellationToken cancellationToken = default)
    {
        var sink = new ListSink();
        await new UdpPingProbe(options).RunAsync(Loopback.Target(server), sink, cancellationToken);
        return sink;
    }

    [Fact]
    public async Task With_RTT_in_seconds_the_summary_adds_the_handouts_seconds_line()
    {
        await using var server = new UdpPingServer(new UdpPingServerOptions { LossRate = 0 }, Loopback.AnyPort, new EventStream("s", 10_000));
        await server.StartAsync();
        _ = Loopback.DrainAsync(server.Events);

        var sink = await RunAsync(server.LocalEndPoint!, new UdpPingProbeOptions { Count = 3, RttInSeconds = true });

        var summary = Assert.Single(sink.Of<Summary>());
        var seconds = summary.Lines[^1];
        Assert.Matches(@"^rtt min/avg/max = \d+\.\d{6}/\d+\.\d{6}/\d+\.\d{6} s$", seconds);
        Assert.Equal((summary.Values["rttMinMs"]!.Value / 1000).ToString("F6", System.Globalization.CultureInfo.InvariantCulture), seconds.Split(' ')[3].Split('/')[0]);
    }

    [Fact]
    public async Task Pings_a_lossless_server_and_sums_up_like_iputils()
    {
        await using var server = new UdpPingServer(new UdpPingServerOptions { LossRate = 0 }, Loopback.AnyPort, new EventStream("s", 10_000));
        await server.StartAsync();
        _ = Loopback.DrainAsync(server.Events);

        var sink = await RunAsync(server.LocalEndPoint!, new UdpPingProbeOptions { Count = 10 });

        var samples = sink.Of<RttSample>();
        Assert.Equal(Enumerable.Range(1, 10), samples.Select(s => s.Sequence));
        Assert.All(samples, s =>
        {
            Assert.Equal(RttOutcome.Reply, s.Outcome);
            Assert.InRange(s.RttMs!.Value, 0.001, 1000);
            Assert.StartsWith($"PING {s.Sequence} ", s.Reply);
        });
        var summary = Assert.Single(sink.Of<Summary>());
        Assert.Equal(10, summary.Values["transmitted"]);
        Assert.Equal(10, summary.Values["received"]);
        Assert.Equal(0, summary.Values["lossPercent"]);
        Assert.Equal(samples.Min(s => s.RttMs), summary.Values["rttMinMs"]);
        Assert.Matches(@"^10 packets transmitted, 10 received, 0% packet loss, time \d+ms$", summary.Lines[1]);
        Assert.Matches(@"^rtt min/avg/max/mdev = \d+\.\d{3}/\d+\.\d{3}/\d+\.\d{3}/\d+\.\d{3} ms$", summary.Lines[2]);
        // Events are stamped in order.
        Assert.Equal(Enumerable.Range(1, sink.Events.Count).Select(i => (long)i), sink.Events.Select(e => e.Seq));
    }

    [Fact]
    public async Task Times_out_against_a_silent_peer()
    {
        using var silent = Loopback.UdpClient();
        var sink = await RunAsync((IPEndPoint)silent.LocalEndPoint!, new UdpPingProbeOptions { Count = 3, TimeoutMs = 100 });

        Assert.All(sink.Of<RttSample>(), s => Assert.Equal(RttOutcome.Timeout, s.Outcome));
        Assert.Equal(3, sink.Of<RttSample>().Count);
        Assert.Equal(100, Assert.Single(sink.Of<Summary>()).Values["lossPercent"]);
    }

    [Fact]
    public async Task A_late_reply_is_reported_as_late_not_as_the_current_ping()
    {
        // A real peer that answers ping 1 only after the probe has given up on it and sent ping 2,
        // and answers ping 2 at once: the late "PING 1" must not count as ping 2's reply.
        using var peer = Loopback.UdpClient();
        var peerTask = Task.Run(async () =>
        {
            var buffer = new byte[1024];
            var first = await peer.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0));
            var ping1 = buffer[..first.ReceivedBytes];
            var second = await peer.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0));
            var ping2 = buffer[..second.ReceivedBytes];
            UdpPingMessage.ToUpperAscii(ping1);
            UdpPingMessage.ToUpperAscii(ping2);
            // Loopback keeps one sender's datagrams in order: the probe reads them as sent.
            await peer.SendToAsync(ping1, SocketFlags.None, first.RemoteEndPoint);
            await peer.SendToAsync(ping2, SocketFlags.None, second.RemoteEndPoint);
            await peer.SendToAsync(ping1, SocketFlags.None, first.RemoteEndPoint); // and ping 1 once more
        });

        var sink = await RunAsync((IPEndPoint)peer.LocalEndPoint!, new UdpPingProbeOptions { Count = 2, TimeoutMs = 300 });
        await peerTask;

        var samples = sink.Of<RttSample>();
        Assert.Equal(RttOutcome.Timeout, samples[0].Outcome);
        Assert.Equal(1, samples[0].Sequence);
        Assert.Equal((1, RttOutcome.Late), (samples[1].Sequence, samples[1].Outcome));
        Assert.True(samples[1].RttMs >= 300);
        Assert.Equal((2, RttOutcome.Reply), (samples[2].Sequence, samples[2].Outcome));
        Assert.True(samples[2].RttMs < 300);
        var summary = Assert.Single(sink.Of<Summary>());
        Assert.Equal(1, summary.Values["received"]);
        Assert.Equal(1, summary.Values["late"]);
        Assert.Contains("+1 late", summary.Lines[1]);
    }

    [Fact]
    public async Task Garbage_replies_are_ignored_with_a_warning()
    {
        using var peer = Loopback.UdpClient();
        var peerTask = Task.Run(async () =>
        {
            var buffer = new byte[1024];
            var ping = await peer.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0));
            await peer.SendToAsync("hello?"u8.ToArray(), SocketFlags.None, ping.RemoteEndPoint);
            await peer.SendToAsync("PING 7 1"u8.ToArray(), SocketFlags.None, ping.RemoteEndPoint);  // not sent yet
            await peer.SendToAsync(buffer[..ping.ReceivedBytes], SocketFlags.None, ping.RemoteEndPoint);
        });

        var sink = await RunAsync((IPEndPoint)peer.LocalEndPoint!, new UdpPingProbeOptions { Count = 1, TimeoutMs = 1000 });
        await peerTask;

        Assert.Equal(RttOutcome.Reply, Assert.Single(sink.Of<RttSample>()).Outcome);
        var warnings = sink.Of<LogLine>().Where(l => l.Severity == LogSeverity.Warning).ToList();
        Assert.Equal(2, warnings.Count);
        Assert.Contains("hello?", warnings[0].Text);
    }

    [Fact]
    public async Task A_closed_port_is_reported_as_unreachable()
    {
        int port;
        using (var s = Loopback.UdpClient()) port = ((IPEndPoint)s.LocalEndPoint!).Port;

        var sink = await RunAsync(new IPEndPoint(IPAddress.Loopback, port), new UdpPingProbeOptions { Count = 2, TimeoutMs = 500 });

        var samples = sink.Of<RttSample>();
        Assert.Contains(samples, s => s.Outcome == RttOutcome.Unreachable && s.Reply!.Contains("port unreachable"));
        Assert.Equal(0, Assert.Single(sink.Of<Summary>()).Values["received"]);
    }

    [Fact]
    public async Task Interval_spaces_the_sends()
    {
        await using var server = new UdpPingServer(new UdpPingServerOptions { LossRate = 0 }, Loopback.AnyPort, new EventStream("s", 10_000));
        await server.StartAsync();
        _ = Loopback.DrainAsync(server.Events);

        var sink = await RunAsync(server.LocalEndPoint!, new UdpPingProbeOptions { Count = 4, IntervalMs = 100 });

        var times = sink.Of<RttSample>().Select(s => s.Timestamp).ToList();
        Assert.All(times.Zip(times.Skip(1)), pair => Assert.True((pair.Second - pair.First).TotalMilliseconds >= 90));
    }

    [Fact]
    public async Task Cancelling_still_reports_the_statistics_so_far()
    {
        using var silent = Loopback.UdpClient();
        using var cts = new CancellationTokenSource(250);
        var sink = new ListSink();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            new UdpPingProbe(new UdpPingProbeOptions { Count = 100, TimeoutMs = 100 }).RunAsync(Loopback.Target((IPEndPoint)silent.LocalEndPoint!), sink, cts.Token));

        var summary = Assert.Single(sink.Of<Summary>());
        Assert.InRange(summary.Values["transmitted"]!.Value, 1, 4);
    }
}
