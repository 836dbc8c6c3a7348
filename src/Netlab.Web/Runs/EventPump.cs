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
/// reads what is waiting (up to <see cref="MaxBatch"/> at a time), has it written, then publishes
/// it. Store first, publish second: whoever follows the live side can take the store as complete
/// up to the first event it sees live.
/// <para>
/// All sources' batches are written by one writer, together: what every source has waiting goes
/// into one transaction (group commit). SQLite takes one writer at a time, and a class of runs
/// each committing its own batch every few milliseconds spent its time waiting for the lock
/// (about 80 commits a second for 50 runs, most pumps blocked, the live view seconds behind).
/// A source has at most one batch waiting, so its batches are still written in order.
/// </para>
/// </summary>
public sealed class EventPump(IDbContextFactory<NetlabDbContext> contexts, Data.StoreHealth health, ILogger<EventPump> logger)
{
    public const int MaxBatch = 256;

    /// <summary>The most events written in one transaction (a few sources' batches at most MaxBatch each beyond it wait for the next).</summary>
    public const int MaxGroup = 8192;

    private readonly Channel<Write> writes = Channel.CreateUnbounded<Write>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock gate = new();
    private Task? writer;

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
                if (await StoreAsync(destination, batch))
                    await destination.PublishAsync(batch);
            }
            catch (Exception e)
            {
                // One bad batch must not stop the pump: the source would write into a channel no one reads.
                logger.LogError(e, "Could not deliver {Count} events of {Source}", batch.Count, destination.Name);
            }
        }
    }

    /// <summary>Hands the batch to the writer; true once it is stored, false when the store refused it (the source was told).</summary>
    private Task<bool> StoreAsync(IEventDestination destination, List<StoredEvent> batch)
    {
        var write = new Write(destination, batch);
        lock (gate)
            writer ??= Task.Run(WriteAllAsync);
        writes.Writer.TryWrite(write);
        return write.Done.Task;
    }

    private async Task WriteAllAsync()
    {
        var group = new List<Write>();
        while (await writes.Reader.WaitToReadAsync())
        {
            group.Clear();
            var events = 0;
            while (events < MaxGroup && writes.Reader.TryRead(out var write))
            {
                group.Add(write);
                events += write.Batch.Count;
            }
            await WriteAsync(group);
        }
    }

    private async Task WriteAsync(List<Write> group)
    {
        try
        {
            await using var db = await contexts.CreateDbContextAsync();
            foreach (var write in group)
                write.Destination.Store(db, write.Batch);
            await db.SaveChangesAsync();
            health.Succeeded();
        }
        catch (Exception e)
        {
            // Logged once per cause (StoreHealth), not once per batch: a full disk would otherwise fill the log too.
            // The transaction was the whole group's, so each of its sources is told (a run fails).
            foreach (var write in group)
            {
                health.Failed(e, write.Destination.Name);
                write.Destination.StoreFailed(e);
                write.Done.TrySetResult(false);
            }
            return;
        }
        foreach (var write in group)
            write.Done.TrySetResult(true);
    }

    private sealed record Write(IEventDestination Destination, List<StoredEvent> Batch)
    {
        // Continuations run on the pool, not on the writer: publishing must not hold up the next write.
        public TaskCompletionSource<bool> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
