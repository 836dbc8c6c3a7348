using Netlab.Labs.Core;
using Netlab.Labs.Echo;

namespace Netlab.Labs.Tests.Echo;

/// <summary>
/// The echo client against a server that floods (a greeting or a reply that never ends): the run
/// fails at maxReceivedBytes with at most 100 recv()s shown per reply; a server that resets
/// mid-reply ends the exchange with the reason; a well-behaved one still passes. The echo server
/// grader meets the same flood and ends with its score.
/// Floods are run one class at a time (one collection), so they do not starve timed tests elsewhere.
/// </summary>
[Collection("hostile peers")]
public sealed class EchoHostilePeerTests
{
    [Fact]
    public async Task A_server_that_floods_from_the_start_fails_the_run_at_maxReceivedBytes()
    {
        await using var peer = new HostileTcpPeer((c, ct) => c.FloodAsync(new byte[4096], ct));
        var events = new ListSink();
        var error = await Assert.ThrowsAsync<PeerLimitException>(() =>
            new EchoClientProbe(new EchoClientOptions { Lines = "a\nb", MaxReceivedBytes = 256 * 1024, TimeoutMs = 60_000, QuietMs = 10_000 })
                .RunAsync(peer.Target, events, CancellationToken.None));
        Assert.Contains("more than 262144 bytes", error.Message);
        Assert.Contains("maxReceivedBytes", error.Message);
        // The greeting's and the first line's recv()s, each shown 100 at most.
        Assert.InRange(events.Of<EchoChunk>().Count, 1, 2 * EchoClientProbe.MaxShownChunks);
        Assert.InRange(events.Events.Count, 2, 4 * EchoClientProbe.MaxShownChunks + 10);
        Assert.Single(events.Of<Summary>());
    }

    [Fact]
    public async Task A_server_that_answers_each_line_with_a_flood_fails_the_run_too()
    {
        await using var peer = new HostileTcpPeer(async (c, ct) =>
        {
            await c.ReadLineAsync(ct);
            await c.FloodAsync("HELLO\n"u8.ToArray(), ct);
        });
        var events = new ListSink();
        var lines = string.Join("\n", Enumerable.Range(0, 1000).Select(i => $"line {i}"));
        var error = await Assert.ThrowsAsync<PeerLimitException>(() =>
            new EchoClientProbe(new EchoClientOptions { Lines = lines, MaxReceivedBytes = 64 * 1024, QuietMs = 1 }).RunAsync(peer.Target, events, CancellationToken.None));
        Assert.Contains("maxReceivedBytes", error.Message);
        // Not an event per recv() of the flood: each reply shows its first 100 at most.
        var chunks = events.Of<EchoChunk>();
        Assert.All(chunks.GroupBy(c => c.Line), g => Assert.InRange(g.Count(), 1, EchoClientProbe.MaxShownChunks));
    }

    [Fact]
    public async Task A_reset_in_the_middle_of_a_reply_ends_the_exchange_with_the_reason()
    {
        await using var peer = new HostileTcpPeer(async (c, ct) =>
        {
            await c.ReadLineAsync(ct);
            await c.SendAsync("hel", ct);
            c.Reset();
        });
        var events = new ListSink();
        await new EchoClientProbe(new EchoClientOptions { Lines = "hello\nagain" }).RunAsync(peer.Target, events, CancellationToken.None);
        Assert.Contains(events.Of<TranscriptLine>(), l => l.Text.Contains("connection failed") || l.Text.Contains("closed the connection"));
        Assert.Equal(1, Assert.Single(events.Of<Summary>()).Values["lines"]);
    }

    [Fact]
    public async Task A_well_behaved_echo_server_still_gets_each_line_back()
    {
        await using var peer = new HostileTcpPeer(async (c, ct) =>
        {
            while (await c.ReadLineAsync(ct) is { } line)
                await c.SendAsync(line.ToUpperInvariant() + "\n", ct);
        });
        var events = new ListSink();
        await new EchoClientProbe(new EchoClientOptions { Lines = "hello\nworld" }).RunAsync(peer.Target, events, CancellationToken.None);
        Assert.Equal(["HELLO\\n", "WORLD\\n"], events.Of<EchoChunk>().Select(c => c.Text));
    }

    [Fact]
    public async Task The_server_grader_meets_a_flood_and_ends_with_its_score()
    {
        await using var peer = new HostileTcpPeer((c, ct) => c.FloodAsync(new byte[4096], ct));
        var events = new ListSink();
        await new EchoServerGrader(new EchoServerGraderOptions { TimeoutMs = 2000 }, new LabEnvironment(Http.Repo.Content))
            .RunAsync(peer.Target, events, CancellationToken.None);
        var checks = events.Of<Check>();
        Assert.NotEmpty(checks);
        Assert.Contains(checks, c => !c.Passed);
        Assert.Single(events.Of<Summary>());
        Assert.InRange(events.Events.Count, checks.Count + 1, checks.Count + 5);
    }
}
