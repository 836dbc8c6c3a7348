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

    /// <summary>
    /// The pump's order, as in EventPump: each event is stored first, then published. The store
    /// is a list here; <see cref="EventFeed"/> reads it through its "earlier" delegate, yielding
    /// between events so that publishing goes on while a follower reads the store.
    /// </summary>
    private sealed class StoredFeed
    {
        private readonly List<LabEvent> store = [];

        public StoredFeed(int retain) => Feed = new EventFeed(retain, earlier: EarlierAsync);

        public EventFeed Feed { get; }

        public void StoreAndPublish(LabEvent e)
        {
            lock (store)
                store.Add(e);
            Feed.Publish([e]);
        }

        private async IAsyncEnumerable<LabEvent> EarlierAsync(long beforeSeq, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
        {
            LabEvent[] stored;
            lock (store)
                stored = [.. store.Where(e => e.Seq < beforeSeq)];
            foreach (var e in stored)
            {
                await Task.Yield();
                yield return e;
            }
        }
    }

    [Fact]
    public async Task A_feed_that_keeps_only_a_tail_still_gives_followers_who_join_mid_run_every_event_once_and_in_order()
    {
        const int total = 10_000;
        var source = new StoredFeed(retain: 16);
        var followers = new List<Task<List<long>>>();
        var published = 0;
        var publisher = Task.Run(async () =>
        {
            for (var seq = 1; seq <= total; seq++)
            {
                source.StoreAndPublish(Event(seq));
                Volatile.Write(ref published, seq);
                if (seq % 100 == 0)
                    await Task.Yield(); // let followers in between
            }
            source.Feed.Complete();
        });
        // Followers join while it runs: at the start, after the tail has been trimmed, and later.
        foreach (var joinAt in new[] { 0, 100, 2_000, 6_000, 9_500 })
        {
            await Eventually.UntilAsync(() => Volatile.Read(ref published) >= joinAt || publisher.IsCompleted, $"{joinAt} events published");
            followers.Add(Task.Run(async () =>
            {
                var got = new List<long>();
                await foreach (var e in source.Feed.FollowAsync())
                    got.Add(e.Seq);
                return got;
            }));
        }
        await publisher;

        foreach (var follower in followers)
            Assert.Equal(Enumerable.Range(1, total).Select(i => (long)i), await follower);
        // The feed itself held only its tail.
        Assert.Equal(Enumerable.Range(total - 15, 16).Select(i => (long)i), source.Feed.Snapshot().Select(e => e.Seq));
    }

    [Fact]
    public async Task A_follower_of_a_long_run_that_ended_reads_the_stored_start_and_the_kept_tail()
    {
        var source = new StoredFeed(retain: 512);
        for (var seq = 1; seq <= 5_000; seq++)
            source.StoreAndPublish(Event(seq));
        source.Feed.Complete();

        var got = new List<long>();
        await foreach (var e in source.Feed.FollowAsync())
            got.Add(e.Seq);

        Assert.Equal(Enumerable.Range(1, 5_000).Select(i => (long)i), got);
        Assert.Equal(512, source.Feed.Snapshot().Count);
    }

    [Fact]
    public void A_feed_keeps_at_least_one_event() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new EventFeed(retain: 0));
}
