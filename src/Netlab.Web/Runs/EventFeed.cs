using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Netlab.Labs.Core;

namespace Netlab.Web.Runs;

/// <summary>
/// The live side of one event source (a run or a server): keeps the events published so far
/// (all of them, or the most recent <c>retain</c>) and lets any number of followers read
/// "everything so far, then each new event as it comes" with no gap and no duplicate.
/// Blazor components, the SSE endpoint and the hub's stream all follow through here. A follower
/// that falls more than <see cref="MaxBacklog"/> events behind (an SSE client that never reads)
/// is cut off with <see cref="SlowFollowerException"/> instead of holding ever more memory.
/// </summary>
/// <param name="earlier">
/// Where <see cref="FollowAsync"/> reads the events no longer kept: the stored events with a
/// seq below the one given, in order. Events are published only once stored (EventPump), so
/// everything older than the oldest kept event is there. Without it, FollowAsync starts at the
/// oldest kept event.
/// </param>
public sealed class EventFeed(int? retain = null, int maxBacklog = EventFeed.MaxBacklog,
    Func<long, CancellationToken, IAsyncEnumerable<LabEvent>>? earlier = null)
{
    /// <summary>Events a follower may have waiting before it is cut off.</summary>
    public const int MaxBacklog = 20_000;

    // At least one kept: a follower of a trimmed feed reads the store up to the oldest kept event.
    private readonly int? retain = retain is < 1 ? throw new ArgumentOutOfRangeException(nameof(retain), "A feed keeps at least one event.") : retain;
    private readonly Lock gate = new();
    private readonly LinkedList<LabEvent> events = new();
    private readonly List<Channel<LabEvent>> followers = [];
    private bool completed;
    private bool trimmed;

    /// <summary>How many follow it live now.</summary>
    public int Followers
    {
        get
        {
            lock (gate)
                return followers.Count;
        }
    }

    /// <summary>The events kept so far.</summary>
    public IReadOnlyList<LabEvent> Snapshot()
    {
        lock (gate)
            return [.. events];
    }

    public void Publish(IReadOnlyList<LabEvent> batch)
    {
        lock (gate)
        {
            List<Channel<LabEvent>>? slow = null;
            foreach (var e in batch)
            {
                events.AddLast(e);
                if (retain is { } max && events.Count > max)
                {
                    events.RemoveFirst();
                    trimmed = true;
                }
                foreach (var follower in followers)
                    if (!follower.Writer.TryWrite(e))
                        (slow ??= []).Add(follower);
            }
            foreach (var follower in slow?.Distinct() ?? [])
            {
                // Its reader ends with this error (the SSE response ends; a client may reconnect and resume).
                follower.Writer.TryComplete(new SlowFollowerException(maxBacklog));
                followers.Remove(follower);
            }
        }
    }

    public void Complete()
    {
        lock (gate)
        {
            completed = true;
            foreach (var follower in followers)
                follower.Writer.TryComplete();
            followers.Clear();
        }
    }

    /// <summary>
    /// Starts following now: the events kept so far, and a reader of every later one (null when
    /// the feed has completed). Dispose to stop. For a caller that reads something else (the
    /// store) between taking the snapshot and reading on.
    /// </summary>
    public Follower Subscribe()
    {
        lock (gate)
        {
            LabEvent[] snapshot = [.. events];
            if (completed)
                return new Follower(this, snapshot, null, trimmed);
            var channel = Channel.CreateBounded<LabEvent>(new BoundedChannelOptions(maxBacklog) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
            followers.Add(channel);
            return new Follower(this, snapshot, channel, trimmed);
        }
    }

    public async IAsyncEnumerable<LabEvent> FollowAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var follower = Subscribe();
        // Subscribed first, read the store second: whatever is published meanwhile waits in the follower's channel.
        if (follower.Trimmed && earlier is not null)
            await foreach (var e in earlier(follower.Snapshot[0].Seq, cancellationToken))
                yield return e;
        foreach (var e in follower.Snapshot)
            yield return e;
        if (follower.Live is null)
            yield break;
        await foreach (var e in follower.Live.ReadAllAsync(cancellationToken))
            yield return e;
    }

    public sealed class Follower : IDisposable
    {
        private readonly EventFeed feed;
        private readonly Channel<LabEvent>? channel;

        internal Follower(EventFeed feed, IReadOnlyList<LabEvent> snapshot, Channel<LabEvent>? channel, bool trimmed)
        {
            this.feed = feed;
            this.channel = channel;
            Snapshot = snapshot;
            Trimmed = trimmed;
        }

        public IReadOnlyList<LabEvent> Snapshot { get; }

        /// <summary>Whether events older than the snapshot's first were published and are no longer kept.</summary>
        public bool Trimmed { get; }

        public ChannelReader<LabEvent>? Live => channel?.Reader;

        public void Dispose()
        {
            if (channel is not null)
                lock (feed.gate)
                    feed.followers.Remove(channel);
        }
    }
}

/// <summary>A follower fell too far behind its feed and was cut off.</summary>
public sealed class SlowFollowerException(int backlog) : Exception($"This follower fell more than {backlog} events behind and was cut off; follow again to resume.");
