using Netlab.Labs.Core;
using Netlab.Web.Runs;

namespace Netlab.Web.Tests;

/// <summary>The live feed keeps no more for a follower that never reads than its backlog, and the others go on.</summary>
public sealed class EventFeedTests
{
    private static LogLine Event(long seq) => new(LogSeverity.Info, $"line {seq}") { Seq = seq, SourceId = "test" };

    [Fact]
    public async Task A_follower_that_never_reads_is_cut_off_at_its_backlog_and_a_reading_one_gets_everything_in_order()
    {
        var feed = new EventFeed(maxBacklog: 100);
        using var stalled = feed.Subscribe();
        var reading = new List<long>();
        var reader = Task.Run(async () =>
        {
            await foreach (var e in feed.FollowAsync())
                reading.Add(e.Seq);
        });
        // The reader subscribes on its own task: wait until it is in before publishing.
        await Eventually.UntilAsync(() => Task.FromResult(feed.Followers == 2), "the reading follower to subscribe");

        for (var seq = 1; seq <= 1000; seq++)
        {
            feed.Publish([Event(seq)]);
            // Keep the reading follower within its backlog, as a live page or a reading client does.
            if (seq % 50 == 0)
                await Eventually.UntilAsync(() => Task.FromResult(reading.Count >= seq), $"the reader to get {seq} events");
        }
        feed.Complete();
        await reader;

        Assert.Equal(Enumerable.Range(1, 1000).Select(i => (long)i), reading);
        // The stalled one holds at most its backlog, then its reader ends with why.
        var kept = new List<long>();
        var cut = await Assert.ThrowsAsync<SlowFollowerException>(async () =>
        {
            await foreach (var e in stalled.Live!.ReadAllAsync())
                kept.Add(e.Seq);
        });
        Assert.Equal(Enumerable.Range(1, 100).Select(i => (long)i), kept);
        Assert.Contains("more than 100 events behind", cut.Message);
    }
}
