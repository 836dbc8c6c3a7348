using System.Net;
using System.Net.NetworkInformation;
using System.Text.RegularExpressions;
using Netlab.Labs.Core;
using Netlab.Labs.Icmp;

namespace Netlab.Labs.Tests.Icmp;

/// <summary>Pinging 127.0.0.1 for real (CI runs as root, so raw sockets work), next to .NET's Ping and iputils ping.</summary>
[Collection("icmp")]
public class IcmpPingTests
{
    private static readonly ProbeTarget Localhost = new("127.0.0.1", IPAddress.Loopback, 0);

    [Fact]
    public async Task Pings_localhost_with_lines_in_iputils_format_and_statistics()
    {
        var sink = new ListSink();
        await new IcmpPingProbe(new IcmpPingOptions { Count = 3, IntervalMs = 200 }).RunAsync(Localhost, sink, CancellationToken.None);

        var samples = sink.Of<RttSample>();
        Assert.Equal([1, 2, 3], samples.Select(s => s.Sequence));
        Assert.All(samples, s =>
        {
            Assert.Equal(RttOutcome.Reply, s.Outcome);
            Assert.Matches(@"^64 bytes from 127\.0\.0\.1: icmp_seq=\d ttl=(64|\?) time=\d+(\.\d+)? ms$", s.Reply);
        });
        var summary = Assert.Single(sink.Of<Summary>());
        Assert.Equal("--- 127.0.0.1 ping statistics ---", summary.Lines[0]);
        Assert.Matches(@"^3 packets transmitted, 3 received, 0% packet loss, time \d+ms$", summary.Lines[1]);
        Assert.Matches(@"^rtt min/avg/max/mdev = [\d.]+/[\d.]+/[\d.]+/[\d.]+ ms$", summary.Lines[2]);
        Assert.Equal(3, sink.Of<HexMessage>().Count);
        Assert.Contains(sink.Of<HexMessage>()[0].Fields, f => f.Name == "CHECKSUM" && f.Value.EndsWith("(valid)"));
    }

    [Fact]
    public async Task The_ttl_agrees_with_dotnets_Ping_and_iputils_ping()
    {
        var sink = new ListSink();
        await new IcmpPingProbe(new IcmpPingOptions { Count = 1 }).RunAsync(Localhost, sink, CancellationToken.None);
        var ours = Regex.Match(Assert.Single(sink.Of<RttSample>()).Reply!, @"ttl=(\d+)").Groups[1].Value;
        Assert.Contains("raw socket", sink.Of<LogLine>()[1].Text); // CI runs as root

        using var ping = new Ping();
        var reply = await ping.SendPingAsync(IPAddress.Loopback, 1000);
        Assert.Equal(IPStatus.Success, reply.Status);
        Assert.InRange(reply.RoundtripTime, 0, 100);
        // .NET reports the TTL only when it could use a raw socket itself; then it must agree.
        if (reply.Options is { } options)
            Assert.Equal(options.Ttl.ToString(), ours);

        var (exit, output) = await Http.HttpServerTests.RunAsync("ping", "-c", "1", "-W", "1", "127.0.0.1");
        Assert.Equal(0, exit);
        Assert.Equal(Regex.Match(output, @"ttl=(\d+)").Groups[1].Value, ours);
        // Both RTTs are loopback-fast: well under the second either would wait.
        var theirs = double.Parse(Regex.Match(output, @"time=([\d.]+) ms").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(theirs, 0, 100);
        Assert.InRange(sink.Of<RttSample>()[0].RttMs!.Value, 0, 100);
    }

    [Fact]
    public async Task Traceroute_to_localhost_is_one_hop()
    {
        var sink = new ListSink();
        await new TracerouteProbe(new TracerouteOptions { TimeoutMs = 500 }).RunAsync(Localhost, sink, CancellationToken.None);
        var hop = Assert.Single(sink.Of<TracerouteHop>());
        Assert.True(hop.Reached);
        Assert.Equal(["127.0.0.1", "127.0.0.1", "127.0.0.1"], hop.Addresses);
        Assert.Equal("127.0.0.1 reached in 1 hop", Assert.Single(sink.Of<Summary>()).Lines[0]);
        Assert.Matches(@"^ 1  127\.0\.0\.1  [\d.]+ ms  [\d.]+ ms  [\d.]+ ms$", sink.Of<LogLine>()[1].Text);
    }

    [Fact]
    public void IPv6_targets_are_refused_with_a_message()
    {
        Assert.Throws<LabException>(() => IcmpSocket.Open(IPAddress.IPv6Loopback));
    }
}
