using Netlab.Labs.Core;

namespace Netlab.Web.Components.Shared;

/// <summary>
/// Follows an event source for a component: collects events on a background task and hands them
/// over at once when they start, then in batches at most every <see cref="FlushInterval"/>, so a
/// burst of thousands of events becomes a few renders. The callback runs through the component's
/// dispatcher (InvokeAsync).
/// </summary>
public sealed class LiveEvents : IAsyncDisposable
{
    public static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan QuickInterval = TimeSpan.FromMilliseconds(15);
    private const int SmallBatch = 4;

    private readonly CancellationTokenSource stop = new();
    private readonly SemaphoreSlim signal = new(0, 1);
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

    /// <summary>Done once the source has ended and its last batch was handed over (or following was stopped).</summary>
    public Task Completion => flushing;

    /// <summary>Starts following. onBatch(events, ended) is called with each batch; ended is true on the last.</summary>
    public static LiveEvents Follow(IAsyncEnumerable<LabEvent> source, Func<IReadOnlyList<LabEvent>, bool, Task> onBatch) => new(source, onBatch);

    private async Task ReadAsync(IAsyncEnumerable<LabEvent> source)
    {
        try
        {
            await foreach (var e in source.WithCancellation(stop.Token))
            {
                bool first;
                lock (gate)
                {
                    first = pending.Count == 0;
                    pending.Add(e);
                }
                if (first)
                    Wake();
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            lock (gate)
                ended = true;
            Wake();
        }
    }

    // At most one wake-up is pending: the flush loop takes everything there is when it runs.
    private void Wake()
    {
        try
        {
            if (signal.CurrentCount == 0)
                signal.Release();
        }
        catch (Exception e) when (e is SemaphoreFullException or ObjectDisposedException)
        {
        }
    }

    /// <summary>
    /// The first event after a quiet spell is handed over at once (Run to first row without a
    /// wait); after a hand-over the next one waits <see cref="FlushInterval"/>, so a burst is batched.
    /// </summary>
    private async Task FlushAsync(Func<IReadOnlyList<LabEvent>, bool, Task> onBatch)
    {
        try
        {
            while (true)
            {
                await signal.WaitAsync(stop.Token);
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
                if (last)
                    return;
                // A trickle (a run's first lines, one ping at a time) keeps up closely; a burst waits the full interval.
                await Task.Delay(batch.Count <= SmallBatch ? QuickInterval : FlushInterval, stop.Token);
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
        signal.Dispose();
    }
}
