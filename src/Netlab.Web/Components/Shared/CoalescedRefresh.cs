namespace Netlab.Web.Components.Shared;

/// <summary>
/// A refresh asked for often (a list that reloads when any run starts or ends) run at most once
/// per interval: the first request after a quiet spell runs at once, and all those within the
/// interval after it become a single run at its end. A class starting 200 runs in a minute then
/// costs an instructor's runs page one query per interval, not 400.
/// </summary>
public sealed class CoalescedRefresh(TimeSpan interval, TimeProvider time, Func<Task> refresh) : IDisposable
{
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(500);

    private readonly Lock gate = new();
    private DateTimeOffset lastRun = DateTimeOffset.MinValue;
    private ITimer? pending;
    private bool disposed;

    /// <summary>Asks for a refresh: now, or at the end of the current interval if one ran within it.</summary>
    public void Request()
    {
        lock (gate)
        {
            if (disposed || pending is not null)
                return; // one is already due: it will see this change too
            var wait = lastRun + interval - time.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                pending = time.CreateTimer(_ => Due(), null, wait, Timeout.InfiniteTimeSpan);
                return;
            }
            lastRun = time.GetUtcNow();
        }
        Run();
    }

    private void Due()
    {
        lock (gate)
        {
            pending?.Dispose();
            pending = null;
            if (disposed)
                return;
            lastRun = time.GetUtcNow();
        }
        Run();
    }

    // The component's refresh goes through its dispatcher; a circuit that went away meanwhile is no error.
    private void Run() => _ = refresh().ContinueWith(t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted);

    public void Dispose()
    {
        lock (gate)
        {
            disposed = true;
            pending?.Dispose();
            pending = null;
        }
    }
}
