using Netlab.Labs.Core;
using Netlab.Labs.TcpConsole;

namespace Netlab.Labs.Tests.TcpConsole;

/// <summary>
/// The scripted TCP console against a server that floods: empty lines (an event each, cheap to
/// send) end the run at maxReceivedLines, binary bytes at maxReceivedBytes, and the console hangs
/// up; a server that answers and closes still gives a passing run.
/// Floods are run one class at a time (one collection), so they do not starve timed tests elsewhere.
/// </summary>
[Collection("hostile peers")]
public sealed class TcpConsoleHostilePeerTests
{
    [Fact]
    public async Task A_flood_of_empty_lines_ends_the_run_at_maxReceivedLines()
    {
        await using var peer = new HostileTcpPeer((c, ct) => c.FloodAsync(new byte[8192].Select(_ => (byte)'\n').ToArray(), ct));
        var events = new ListSink();
        var error = await Assert.ThrowsAsync<PeerLimitException>(() =>
            new TcpConsoleProbe(new TcpConsoleProbeOptions { Lines = "HELLO", MaxReceivedLines = 1000, QuietMs = 10_000, WaitMs = 600_000 })
                .RunAsync(peer.Target, events, CancellationToken.None));
        Assert.Contains("more than 1000 lines", error.Message);
        Assert.Contains("maxReceivedLines", error.Message);
        Assert.Equal(1000, events.Of<TranscriptLine>().Count(l => l.Direction == TranscriptDirection.ServerToClient));
        Assert.InRange(events.Events.Count, 1000, 1000 + 10);
        Assert.Equal("client", Assert.Single(events.Of<ConsoleClosed>()).By);
        Assert.Single(events.Of<Summary>());
    }

    [Fact]
    public async Task A_binary_flood_ends_the_run_at_maxReceivedBytes()
    {
        await using var peer = new HostileTcpPeer((c, ct) => c.FloodAsync(new byte[8192], ct));
        var events = new ListSink();
        var error = await Assert.ThrowsAsync<PeerLimitException>(() =>
            new TcpConsoleProbe(new TcpConsoleProbeOptions { Lines = "HELLO", MaxReceivedBytes = 256 * 1024, QuietMs = 10_000, WaitMs = 600_000 })
                .RunAsync(peer.Target, events, CancellationToken.None));
        Assert.Contains("more than 262144 bytes", error.Message);
        Assert.Contains("maxReceivedBytes", error.Message);
        Assert.InRange(events.Of<HexMessage>().Count, 1, 256 * 1024);
        Assert.InRange(events.Events.Count, 1, new TcpConsoleProbeOptions().MaxReceivedLines + 10);
    }

    [Fact]
    public async Task A_server_that_answers_and_closes_gives_a_passing_run()
    {
        await using var peer = new HostileTcpPeer(async (c, ct) =>
        {
            await c.SendAsync("220 hello\r\n", ct);
            await c.ReadLineAsync(ct);
            await c.SendAsync("221 bye\r\n", ct);
        });
        var events = new ListSink();
        await new TcpConsoleProbe(new TcpConsoleProbeOptions { Lines = "QUIT" }).RunAsync(peer.Target, events, CancellationToken.None);
        Assert.Contains(events.Of<TranscriptLine>(), l => l.Text == "221 bye");
    }
}
