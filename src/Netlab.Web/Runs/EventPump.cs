using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Netlab.Data;
using Netlab.Labs.Core;

namespace Netlab.Web.Runs;

/// <summary>One event with its stored form: the same JSON the API, the hub and the store use.</summary>
public sealed record StoredEvent(LabEvent Event, string Kind, DateTime Timestamp, string Json)
{
    public long Seq => Event.Seq;

    public static StoredEvent From(LabEvent e) => new(e, LabJson.KindOf(e), e.Timestamp.UtcDateTime, LabJson.Serialize(e));
}

/// <summary>Where one source's events go: its rows in the store, then its live followers.</summary>
public interface IEventDestination
{
    /// <summary>Names the source in logs ("run ...", "server ...").</summary>
    string Name { get; }

    /// <summary>Adds the batch's rows (and any bookkeeping of its own) to a context that is saved right after.</summary>
    void Store(NetlabDbContext db, IReadOnlyList<StoredEvent> batch);

    /// <summary>Hands the batch to the live side (feed, hub group) once it is stored, so a follower never sees an event the store lacks.</summary>
    Task PublishAsync(IReadOnlyList<StoredEvent> batch);

    /// <summary>The store refused a batch (a full disk): the source decides what that means for it (a run fails).</summary>
    void StoreFailed(Exception e) { }
}

/// <summary>
/// The one path from an event channel to the store and the live side, shared by runs and servers:
/// reads what is waiting (up to <see cref="MaxBatch"/> at a time), writes it in one transaction,
/// then publishes it. Store first, publish second: whoever follows the live side can take the
/// store as complete up to the first event it sees live.
/// </summary>
public sealed class EventPump(IDbContextFactory<NetlabDbContext> contexts, Data.StoreHealth health, ILogger<EventPump> logger)
{
    public const int MaxBatch = 256;

    /// <summary>Runs until the channel completes.</summary>
    public async Task RunAsync(ChannelReader<LabEvent> reader, IEventDestination destination)
    {
        while (await reader.WaitToReadAsync())
        {
            // A new list each time: the live side may still hold the previous one.
            var batch = new List<StoredEvent>(MaxBatch);
            while (batch.Count < MaxBatch && reader.TryRead(out var e))
                batch.Add(StoredEvent.From(e));
            try
            {
                await DeliverAsync(destination, batch);
            }
            catch (Exception e)
            {
                // One bad batch must not stop the pump: the source would write into a channel no one reads.
                logger.LogError(e, "Could not deliver {Count} events of {Source}", batch.Count, destination.Name);
            }
        }
    }

    private async Task DeliverAsync(IEventDestination destination, List<StoredEvent> batch)
    {
        try
        {
            await using var db = await contexts.CreateDbContextAsync();
            destination.Store(db, batch);
            await db.SaveChangesAsync();
            health.Succeeded();
        }
        catch (Exception e)
        {
            // Logged once per cause (StoreHealth), not once per batch: a full disk would otherwise fill the log too.
            health.Failed(e, destination.Name);
            destination.StoreFailed(e);
            return;
        }
        await destination.PublishAsync(batch);
    }
}
