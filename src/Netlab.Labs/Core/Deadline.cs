namespace Netlab.Labs.Core;

/// <summary>
/// A time limit on one step of a conversation (a read, a write, a connect, a whole exchange),
/// linked to the caller's token. <see cref="Expired"/> tells a timeout apart from a shutdown or a
/// user's cancel, so a server can answer "timed out" (SMTP 421, HTTP 408) only when it was one.
/// Timers run on the given <see cref="TimeProvider"/>, so tests drive them with a fake clock.
/// </summary>
/// <example>
/// <code>
/// using var deadline = Deadline.After(options.TimeoutMs, stopping, time);
/// try { await socket.ReceiveAsync(buffer, deadline.Token); }
/// catch (OperationCanceledException) when (deadline.Expired) { /* the peer was too slow */ }
/// </code>
/// </example>
public sealed class Deadline : IDisposable
{
    private readonly CancellationTokenSource timer;
    private readonly CancellationTokenSource linked;
    private readonly CancellationToken outer;

    private Deadline(TimeSpan limit, CancellationToken outer, TimeProvider time)
    {
        this.outer = outer;
        timer = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
        linked = CancellationTokenSource.CreateLinkedTokenSource(outer, timer.Token);
        Restart(limit);
    }

    /// <summary>A deadline <paramref name="limit"/> from now; <see cref="Timeout.InfiniteTimeSpan"/> = none.</summary>
    public static Deadline After(TimeSpan limit, CancellationToken cancellationToken = default, TimeProvider? time = null) =>
        new(limit, cancellationToken, time ?? TimeProvider.System);

    /// <summary>A deadline in milliseconds, as lab options state their timeouts; 0 or less = none.</summary>
    public static Deadline After(int milliseconds, CancellationToken cancellationToken = default, TimeProvider? time = null) =>
        After(milliseconds > 0 ? TimeSpan.FromMilliseconds(milliseconds) : Timeout.InfiniteTimeSpan, cancellationToken, time);

    /// <summary>Cancelled when the time is up or the caller cancels.</summary>
    public CancellationToken Token => linked.Token;

    /// <summary>True when the time ran out (and the caller had not cancelled first).</summary>
    public bool Expired => timer.IsCancellationRequested && !outer.IsCancellationRequested;

    /// <summary>Starts the limit again from now (e.g. the next command of a session); no effect once expired.</summary>
    public void Restart(TimeSpan limit) => timer.CancelAfter(limit);

    /// <inheritdoc cref="Restart(TimeSpan)"/>
    public void Restart(int milliseconds) => Restart(milliseconds > 0 ? TimeSpan.FromMilliseconds(milliseconds) : Timeout.InfiniteTimeSpan);

    public void Dispose()
    {
        linked.Dispose();
        timer.Dispose();
    }
}
