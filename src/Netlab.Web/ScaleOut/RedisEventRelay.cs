using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Netlab.Labs.Core;
using Netlab.Web.Runs;
using StackExchange.Redis;

namespace Netlab.Web.ScaleOut;

/// <summary>
/// The relay over Redis pub/sub: one channel per run or server ("netlab:feed:run:{id}"); a
/// message is a stored batch as a JSON array of the stored event JSON, or "end". Redis delivers
/// one publisher's messages on a channel in order, and the owner publishes a source's batches one
/// after the other, so a follower sees them in seq order.
/// </summary>
public sealed class RedisEventRelay(RedisConnection redis, ILogger<RedisEventRelay> logger, int maxBacklog = EventFeed.MaxBacklog) : IEventRelay
{
    private const string EndMarker = "end";

    public bool Enabled => true;

    private static RedisChannel Channel(FeedSource source, Guid id) =>
        RedisChannel.Literal($"netlab:feed:{(source == FeedSource.Run ? "run" : "server")}:{id}");

    public async Task PublishAsync(FeedSource source, Guid id, IReadOnlyList<StoredEvent> batch)
    {
        if (batch.Count == 0)
            return;
        var message = new StringBuilder("[");
        for (var i = 0; i < batch.Count; i++)
            message.Append(i == 0 ? "" : ",").Append(batch[i].Json);
        await SendAsync(Channel(source, id), message.Append(']').ToString());
    }

    public Task EndAsync(FeedSource source, Guid id) => SendAsync(Channel(source, id), EndMarker);

    private async Task SendAsync(RedisChannel channel, string message)
    {
        try
        {
            await redis.Subscriber.PublishAsync(channel, message);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // The owner's run goes on and its store stays complete; only remote live views miss this (they can reload).
            logger.LogWarning("Could not relay to {Channel}: {Reason}", channel, e.Message);
        }
    }

    public async Task<RemoteFeed> SubscribeAsync(FeedSource source, Guid id, CancellationToken cancellationToken)
    {
        var queue = await redis.Subscriber.SubscribeAsync(Channel(source, id));
        var live = System.Threading.Channels.Channel.CreateBounded<LabEvent>(new BoundedChannelOptions(maxBacklog)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        var pump = Task.Run(async () =>
        {
            try
            {
                await foreach (var message in queue.WithCancellation(CancellationToken.None))
                {
                    var text = (string?)message.Message;
                    if (text is null or EndMarker)
                        break;
                    foreach (var e in Parse(text))
                        if (!live.Writer.TryWrite(e))
                        {
                            // As a local feed does with a follower that does not read: cut it off.
                            live.Writer.TryComplete(new SlowFollowerException(maxBacklog));
                            return;
                        }
                }
            }
            catch (ChannelClosedException)
            {
                // unsubscribed
            }
            live.Writer.TryComplete();
        }, CancellationToken.None);
        return new RemoteFeed(live.Reader, pump, async () =>
        {
            await queue.UnsubscribeAsync();
            live.Writer.TryComplete();
            await pump;
        });
    }

    private static List<LabEvent> Parse(string batch)
    {
        using var document = JsonDocument.Parse(batch);
        var events = new List<LabEvent>(document.RootElement.GetArrayLength());
        foreach (var element in document.RootElement.EnumerateArray())
            if (element.Deserialize<LabEvent>(LabJson.Options) is { } e)
                events.Add(e);
        return events;
    }
}
