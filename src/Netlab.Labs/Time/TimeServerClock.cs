namespace Netlab.Labs.Time;

/// <summary>
/// The time server's clock: the real one moved by a fixed offset and running fast or slow by a
/// drift in parts per million from when the server started, so a student can watch a client
/// measure a clock that is wrong by a known amount. Never touches the machine's clock.
/// </summary>
public sealed class TimeServerClock(TimeProvider real, double offsetMs, double driftPpm)
{
    private readonly DateTimeOffset started = real.GetUtcNow();

    /// <summary>The server's idea of now: real + offset + drift × time since start.</summary>
    public DateTimeOffset Now()
    {
        var now = real.GetUtcNow();
        var driftMs = (now - started).TotalMilliseconds * driftPpm / 1_000_000;
        return now.AddTicks((long)Math.Round((offsetMs + driftMs) * TimeSpan.TicksPerMillisecond));
    }

    /// <summary>How far this clock is from the real one now, in ms.</summary>
    public double ErrorMs => (Now() - real.GetUtcNow()).TotalMilliseconds;
}
