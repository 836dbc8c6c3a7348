using System.Text;
using Netlab.Labs.Core;
using Netlab.Labs.UdpPing;

namespace Netlab.Labs.Tests.UdpPing;

/// <summary>
/// The UDP ping client against servers that flood: garbage datagrams or the same echo again and
/// again end the run at maxStrayReplies, with one event per stray at most, never one per datagram
/// of the flood; a well-behaved server still gets its pings counted.
/// Floods are run one class at a time (one collection), so they do not starve timed tests elsewhere.
/// </summary>
[Collection("hostile peers")]
public sealed class UdpPingHostilePeerTests
{
    private static async Task<(PeerLimitException Error, ListSink Events)> FailAsync(HostileUdpPeer peer, UdpPingProbeOptions options)
    {
        var events = new ListSink();
        var error = await Assert.ThrowsAsync<PeerLimitException>(() => new UdpPingProbe(options).RunAsync(peer.Target, events, CancellationToken.None));
        return (error, events);
    }

    [Fact]
    public async Task A_flood_of_garbage_after_the_first_ping_ends_the_run_at_maxStrayReplies()
    {
        await using var peer = new HostileUdpPeer((p, ping, from, ct) => p.FloodAsync(i => Encoding.ASCII.GetBytes($"garbage {i}"), from, ct));
        var (error, events) = await FailAsync(peer, new UdpPingProbeOptions { Count = 3, TimeoutMs = 30_000, MaxStrayReplies = 50 });
        Assert.Contains("more than 50 datagrams that answer no ping or answer one again", error.Message);
        Assert.Contains("maxStrayReplies", error.Message);
        Assert.Equal(50, events.Of<LogLine>().Count(l => l.Text.StartsWith("Ignored")));
        Assert.InRange(events.Events.Count, 50, 50 + 5);
        Assert.Single(events.Of<Summary>()); // the statistics so far, as ping prints them on Ctrl-C
    }

    [Fact]
    public async Task The_same_echo_again_and_again_is_counted_as_duplicates_until_maxStrayReplies()
    {
        await using var peer = new HostileUdpPeer((p, ping, from, ct) => p.FloodAsync(_ => Encoding.ASCII.GetBytes(Encoding.ASCII.GetString(ping).ToUpperInvariant()), from, ct));
        var (error, events) = await FailAsync(peer, new UdpPingProbeOptions { Count = 3, TimeoutMs = 30_000 });
        Assert.Contains("maxStrayReplies", error.Message);
        var samples = events.Of<RttSample>();
        Assert.Equal(RttOutcome.Reply, samples[0].Outcome);
        Assert.Equal(100, samples.Count(s => s.Outcome == RttOutcome.Duplicate));
        Assert.InRange(events.Events.Count, 100, 100 + 5);
    }

    [Fact]
    public async Task A_well_behaved_server_with_a_few_strays_still_passes()
    {
        await using var peer = new HostileUdpPeer(async (p, ping, from, ct) =>
        {
            await p.SendAsync("not a ping"u8.ToArray(), from, ct);
            await p.SendAsync(Encoding.ASCII.GetBytes(Encoding.ASCII.GetString(ping).ToUpperInvariant()), from, ct);
        });
        var events = new ListSink();
        await new UdpPingProbe(new UdpPingProbeOptions { Count = 3, TimeoutMs = 30_000 }).RunAsync(peer.Target, events, CancellationToken.None);
        Assert.Equal(3, events.Of<RttSample>().Count(s => s.Outcome == RttOutcome.Reply));
    }
}
