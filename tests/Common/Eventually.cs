using System.Diagnostics;

namespace Netlab.Tests;

/// <summary>
/// Waits for something that happens asynchronously (a run ends, a session closes, a file appears)
/// by polling for the observable condition. The deadline only keeps a broken build from hanging:
/// it is generous on purpose and is never a bound on how fast the code must be.
/// </summary>
public static class Eventually
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(20);

    /// <summary>Polls <paramref name="probe"/> until <paramref name="done"/> holds for its value, and returns that value.</summary>
    public static async Task<T> UntilAsync<T>(Func<Task<T>> probe, Func<T, bool> done, string what, TimeSpan? deadline = null)
    {
        var limit = deadline ?? Deadline;
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            var value = await probe();
            if (done(value))
                return value;
            if (Stopwatch.GetElapsedTime(started) > limit)
                throw new TimeoutException($"Still waiting after {limit.TotalSeconds:0} s for {what}; last value: {value}");
            await Task.Delay(Poll);
        }
    }

    public static Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? deadline = null) =>
        UntilAsync(condition, ok => ok, what, deadline);

    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan? deadline = null) =>
        UntilAsync(() => Task.FromResult(condition()), ok => ok, what, deadline);
}
