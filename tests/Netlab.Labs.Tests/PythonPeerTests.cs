using System.Text.RegularExpressions;
using Netlab.Labs.Core;
using Netlab.Labs.UdpPing;

namespace Netlab.Labs.Tests;

/// <summary>The Netlab probe and server against the handout's Python programs, both ways.</summary>
public class PythonPeerTests
{
    [Fact]
    public async Task The_probe_pings_the_handouts_python_server()
    {
        await using var python = PythonPeer.Start("udp_pinger_server.py", "0", "--loss", "classic", "--seed", "1");
        var port = int.Parse((await python.ReadLineAsync())!.Split(' ')[1]);
        var sink = new ListSink();

        await new UdpPingProbe(new UdpPingProbeOptions { Count = 30, TimeoutMs = 300 })
            .RunAsync(new ProbeTarget("127.0.0.1", System.Net.IPAddress.Loopback, port), sink, CancellationToken.None);

        var samples = sink.Of<RttSample>();
        Assert.Equal(30, samples.Count(s => s.Outcome is RttOutcome.Reply or RttOutcome.Timeout));
        var replies = samples.Where(s => s.Outcome == RttOutcome.Reply).ToList();
        // The handout's rule drops 4 of 11; with 30 pings some are lost and some answered.
        Assert.InRange(replies.Count, 5, 29);
        Assert.All(replies, r => Assert.Matches(@"^PING \d+ \d+\.\d{6}$", r.Reply));
        var summary = Assert.Single(sink.Of<Summary>());
        Assert.Equal(replies.Count, summary.Values["received"]);
    }

    [Fact]
    public async Task The_handout_style_python_client_pings_the_netlab_server()
    {
        await using var server = new UdpPingServer(new UdpPingServerOptions { LossRate = 0.3, Seed = 5 }, Loopback.AnyPort, new EventStream("s", 10_000));
        await server.StartAsync();
        var events = Loopback.DrainAsync(server.Events);

        await using var client = PythonPeer.Start("udp_pinger_client.py", "127.0.0.1", server.LocalEndPoint!.Port.ToString(), "--count", "10", "--timeout", "0.3");
        var (exit, output, error) = await client.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(exit == 0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var replies = lines.Where(l => l.StartsWith("Reply from 127.0.0.1: PING ")).ToList();
        var timeouts = lines.Count(l => l == "Request timed out");
        Assert.Equal(10, replies.Count + timeouts);
        Assert.All(replies, r => Assert.Matches(@"^Reply from 127\.0\.0\.1: PING \d+ \d+\.\d{6} RTT = \d+\.\d{6} s$", r));
        await server.StopAsync();
        var seen = (await events).OfType<DatagramSeen>().ToList();
        Assert.Equal(10, seen.Count);
        Assert.Equal(replies.Count, seen.Count(d => d.Action == DatagramAction.Echoed));
        Assert.Contains($"{10 - timeouts} received", output);
        Assert.Matches(new Regex(@"RTT min/avg/max = "), output);
    }
}
