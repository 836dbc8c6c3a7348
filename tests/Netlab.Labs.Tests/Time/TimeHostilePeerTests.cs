using System.Text;
using Microsoft.Extensions.Time.Testing;
using Netlab.Labs.Core;
using Netlab.Labs.Time;

namespace Netlab.Labs.Tests.Time;

/// <summary>
/// The time client against servers that stream garbage, never end a line, trickle or reset: the
/// first two fail the run with the bound named, a trickle is cut at each answer's deadline, a reset
/// is that request's error; the time server grader meets the same garbage and ends with its score.
/// Floods are run one class at a time (one collection), so they do not starve timed tests elsewhere.
/// </summary>
[Collection("hostile peers")]
public sealed class TimeHostilePeerTests
{
    [Fact]
    public async Task A_server_streaming_lines_without_a_time_fails_the_run_after_8_of_them()
    {
        await using var peer = new HostileTcpPeer(async (c, ct) =>
        {
            await c.ReadLineAsync(ct);
            await c.FloodAsync("it is time for garbage\r\n"u8.ToArray(), ct);
        });
        var events = new ListSink();
        var error = await Assert.ThrowsAsync<PeerLimitException>(() =>
            new TimeSyncProbe(new TimeSyncOptions { Count = 5, IntervalMs = 0 }).RunAsync(peer.Target, events, CancellationToken.None));
        Assert.Contains("8 lines in answer to reqtime 1 without a time", error.Message);
        Assert.InRange(events.Events.Count, 1, 5);
        Assert.Single(events.Of<Summary>());
    }

    [Fact]
    public async Task A_line_without_an_end_fails_the_run_at_256_bytes_not_at_the_timeout()
    {
        await using var peer = new HostileTcpPeer(async (c, ct) =>
        {
            await c.ReadLineAsync(ct);
            await c.FloodAsync(Encoding.ASCII.GetBytes(new string('7', 1000)), ct);
        });
        var error = await Assert.ThrowsAsync<PeerLimitException>(() =>
            new TimeSyncProbe(new TimeSyncOptions { Count = 1, TimeoutMs = 60_000 }).RunAsync(peer.Target, new ListSink(), CancellationToken.None));
        Assert.Contains($"a line longer than {TimeMessage.MaxLine} bytes", error.Message);
    }

    [Fact]
    public async Task A_server_that_trickles_its_answer_is_cut_at_each_answers_deadline()
    {
        var clock = new FakeTimeProvider();
        var trickled = new SemaphoreSlim(0);
        var next = new SemaphoreSlim(0);
        await using var peer = new HostileTcpPeer(async (c, ct) =>
        {
            await c.ReadLineAsync(ct);
            foreach (var b in Encoding.ASCII.GetBytes(TimeMessage.Iso(DateTimeOffset.UnixEpoch) + "\r\n"))
            {
                await c.SendAsync([b], ct);
                trickled.Release();
                await next.WaitAsync(ct);
            }
        });
        var events = new ListSink();
        var run = new TimeSyncProbe(new TimeSyncOptions { Count = 2, IntervalMs = 0, TimeoutMs = 2000 }, clock).RunAsync(peer.Target, events, CancellationToken.None);
        using var stuck = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        // A byte every 500 fake ms: each answer of 29 bytes would take 14 s; each gets 2 s.
        for (var i = 0; i < 40; i++)
        {
            if (await Task.WhenAny(run, trickled.WaitAsync(stuck.Token)) == run)
                break;
            clock.Advance(TimeSpan.FromMilliseconds(500));
            next.Release();
        }
        await run;
        var estimates = events.Of<TimeEstimate>();
        Assert.Equal(2, estimates.Count);
        Assert.All(estimates, e => Assert.Equal("no answer within 2000 ms", e.Error));
        Assert.Equal(0, Assert.Single(events.Of<Summary>()).Values["answered"]);
    }

    [Fact]
    public async Task A_reset_in_the_middle_of_an_answer_is_that_requests_error_and_a_good_server_is_answered()
    {
        var connections = 0;
        await using var peer = new HostileTcpPeer(async (c, ct) =>
        {
            await c.ReadLineAsync(ct);
            if (Interlocked.Increment(ref connections) == 1)
            {
                await c.SendAsync("2026-12-0", ct);
                c.Reset();
                return;
            }
            await c.SendAsync(TimeMessage.Reply(DateTimeOffset.UtcNow), ct);
            while (await c.ReadLineAsync(ct) is not null)
                await c.SendAsync(TimeMessage.Reply(DateTimeOffset.UtcNow), ct);
        });
        var events = new ListSink();
        await new TimeSyncProbe(new TimeSyncOptions { Count = 3, IntervalMs = 0 }).RunAsync(peer.Target, events, CancellationToken.None);
        var estimates = events.Of<TimeEstimate>();
        Assert.NotNull(estimates[0].Error);
        Assert.All(estimates.Skip(1), e => Assert.Null(e.Error));
        Assert.Equal(2, Assert.Single(events.Of<Summary>()).Values["answered"]);
    }

    [Fact]
    public async Task The_server_grader_meets_garbage_and_endless_lines_and_ends_with_its_score()
    {
        foreach (var flood in new[] { "garbage\r\n"u8.ToArray(), Encoding.ASCII.GetBytes(new string('x', 4096)) })
        {
            await using var peer = new HostileTcpPeer((c, ct) => c.FloodAsync(flood, ct));
            var events = new ListSink();
            await new TimeServerGrader(new TimeServerGraderOptions { TimeoutMs = 2000 }, new LabEnvironment(Http.Repo.Content)).RunAsync(peer.Target, events, CancellationToken.None);
            var checks = events.Of<Check>();
            Assert.NotEmpty(checks);
            Assert.Contains(checks, c => !c.Passed);
            Assert.Single(events.Of<Summary>());
            Assert.InRange(events.Events.Count, checks.Count + 1, checks.Count + 5);
        }
    }
}
