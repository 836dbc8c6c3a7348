using Netlab.Labs.Core;

namespace Netlab.Web.Components.Shared;

/// <summary>
/// Follows an event source for a component: collects events on a background task and hands them
/// over in batches at most every <see cref="FlushInterval"/>, so a burst of thousands of events
/// becomes a few renders. The callback runs through the component's dispatcher (InvokeAsync).
/// </summary>
public sealed class LiveEvents : IAsyncDisposable
{
    public static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(100);

    private readonly CancellationTokenSource stop = new();
    private readonly Lock gate = new();
    private List<LabEvent> pending = [];
    private bool ended;
    private readonly Task reading;
    private readonly Task flushing;

    private LiveEvents(IAsyncEnumerable<LabEvent> source, Func<IReadOnlyList<LabEvent>, bool, Task> onBatch)
    {
        reading = ReadAsync(source);
        flushing = FlushAsync(onBatch);
    }

    /// <summary>Starts following. onBatch(events, ended) is called with each batch; ended is true on the last.</summary>
    public static LiveEvents Follow(IAsyncEnumerable<LabEvent> source, Func<IReadOnlyList<LabEvent>, bool, Task> onBatch) => new(source, onBatch);

    private async Task ReadAsync(IAsyncEnumerable<LabEvent> source)
    {
        try
        {
            await foreach (var e in source.WithCancellation(stop.Token))
                lock (gate)
                    pending.Add(e);
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            lock (gate)
                ended = true;
        }
    }

    private async Task FlushAsync(Func<IReadOnlyList<LabEvent>, bool, Task> onBatch)
    {
        using var timer = new PeriodicTimer(FlushInterval);
        try
        {
            while (true)
            {
                List<LabEvent> batch;
                bool last;
                lock (gate)
                {
                    batch = pending;
                    pending = [];
                    last = ended;
                }
                if (batch.Count > 0 || last)
                    await onBatch(batch, last);
                if (last || !await timer.WaitForNextTickAsync(stop.Token))
                    return;
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
            // The component's circuit went away.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        await Task.WhenAll(reading, flushing).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        stop.Dispose();
    }
}
