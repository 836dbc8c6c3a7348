using System.Runtime.CompilerServices;
using Netlab.Labs.Core;

namespace Netlab.Web.ScaleOut;

/// <summary>
/// Following a run or a server that lives in another instance, with no gap and no duplicate:
/// subscribe to its relay first, then read the store (the owner stores a batch before it
/// publishes it, so whatever was published before the subscription is stored), then go on live,
/// dropping the sequence numbers already read. A source that ended before the subscription
/// (its end is stored before the end marker is sent) is read from the store alone; at the end
/// marker, the store is read once more for what was stored but never published (an owner that died).
/// </summary>
public static class RemoteFollow
{
    /// <param name="stillLive">Asked after subscribing: whether the source is still running (its record has no end).</param>
    /// <param name="stored">The stored events with seq above the given one, in order.</param>
    public static async IAsyncEnumerable<LabEvent> FollowAsync(IEventRelay relay, FeedSource source, Guid id, long afterSeq,
        Func<CancellationToken, Task<bool>> stillLive, Func<long, CancellationToken, IAsyncEnumerable<LabEvent>> stored,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var remote = await relay.SubscribeAsync(source, id, cancellationToken);
        var live = await stillLive(cancellationToken);
        var last = afterSeq;
        await foreach (var e in stored(afterSeq, cancellationToken))
        {
            last = Math.Max(last, e.Seq);
            yield return e;
        }
        if (!live)
            yield break;
        await foreach (var e in remote.Live.ReadAllAsync(cancellationToken))
            if (e.Seq > last)
            {
                last = e.Seq;
                yield return e;
            }
        // The end marker says the store is final. An owner killed between storing a batch and
        // publishing it never published that batch: the store has it.
        await foreach (var e in stored(last, cancellationToken))
            yield return e;
    }
}
