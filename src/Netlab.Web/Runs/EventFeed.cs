using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Netlab.Labs.Core;

namespace Netlab.Web.Runs;

/// <summary>
/// The live side of one event source (a run or a server): keeps the events published so far
/// (all of them for a run, the most recent ones for a server) and lets any number of followers
/// read "everything so far, then each new event as it comes" with no gap and no duplicate.
/// Blazor components, the SSE endpoint and the hub's stream all follow through here. A follower
/// that falls more than <see cref="MaxBacklog"/> events behind (an SSE client that never reads)
/// is cut off with <see cref="SlowFollowerException"/> instead of holding ever more memory.
/// </summary>
public sealed class EventFeed(int? retain = null, int maxBacklog = EventFeed.MaxBacklog)
{
    /// <summary>Events a follower may have waiting before it is cut off.</summary>
    public const int MaxBacklog = 20_000;

    private readonly Lock gate = new();
    private readonly LinkedList<LabEvent> events = new();
    private readonly List<Channel<LabEvent>> followers = [];
    private bool completed;

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
                    events.RemoveFirst();
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
                return new Follower(this, snapshot, null);
            var channel = Channel.CreateBounded<LabEvent>(new BoundedChannelOptions(maxBacklog) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
            followers.Add(channel);
            return new Follower(this, snapshot, channel);
        }
    }

    public async IAsyncEnumerable<LabEvent> FollowAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var follower = Subscribe();
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

        internal Follower(EventFeed feed, IReadOnlyList<LabEvent> snapshot, Channel<LabEvent>? channel)
        {
            this.feed = feed;
            this.channel = channel;
            Snapshot = snapshot;
        }

        public IReadOnlyList<LabEvent> Snapshot { get; }

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
