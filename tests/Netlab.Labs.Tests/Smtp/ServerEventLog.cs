using Netlab.Labs.Core;

namespace Netlab.Labs.Tests;

/// <summary>
/// A lab server's events as they arrive (drained as the portal drains them), with a way to wait
/// until they show something, so a test waits for the server's own word instead of sleeping.
/// Used by the SMTP and FTP test servers.
/// </summary>
public sealed class ServerEventLog
{
    private readonly List<LabEvent> events = [];
    private TaskCompletionSource changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ServerEventLog(EventStream stream) => Completion = Task.Run(async () =>
    {
        await foreach (var e in stream.Reader.ReadAllAsync())
            lock (events)
            {
                events.Add(e);
                Pulse();
            }
        lock (events)
            return events.ToList();
    });

    /// <summary>The events so far.</summary>
    public IReadOnlyList<LabEvent> Snapshot()
    {
        lock (events)
            return [.. events];
    }

    /// <summary>Every event, once the server has stopped and its stream is complete.</summary>
    public Task<List<LabEvent>> Completion { get; }

    /// <summary>Waits until the events so far satisfy <paramref name="done"/> (the timeout only guards against a hang).</summary>
    public async Task WaitForAsync(Func<IReadOnlyList<LabEvent>, bool> done, int timeoutMs = 10_000)
    {
        using var timeout = new CancellationTokenSource(timeoutMs);
        while (true)
        {
            Task next;
            lock (events)
            {
                if (done(events))
                    return;
                next = changed.Task;
            }
            await next.WaitAsync(timeout.Token);
        }
    }

    public Task WaitForAsync<T>(int count = 1, Func<T, bool>? match = null) where T : LabEvent =>
        WaitForAsync(all => all.OfType<T>().Count(e => match?.Invoke(e) ?? true) >= count);

    private void Pulse()
    {
        var pulsed = changed;
        changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        pulsed.SetResult();
    }
}
