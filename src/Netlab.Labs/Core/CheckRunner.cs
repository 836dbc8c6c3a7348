using System.Globalization;

namespace Netlab.Labs.Core;

/// <summary>
/// What every grader shares: each check runs under its own time limit (a silent or hostile
/// implementation fails that check, never hangs the grader), is emitted as a <see cref="Check"/>
/// with its points, and the total becomes the run's <see cref="Summary"/> (score, maxScore).
/// </summary>
public sealed class CheckRunner(IEventSink events, TimeProvider time)
{
    private double score, total;
    private int passed, count;

    /// <summary>A check body: passed, and what was seen, in words a student can act on.</summary>
    public delegate Task<(bool Passed, string Actual)> Body(CancellationToken cancellationToken);

    /// <summary>Runs one check; an exception the peer caused (socket error, timeout) fails it with the reason.</summary>
    public async Task<bool> RunAsync(string name, double points, string expected, TimeSpan limit, Body body, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var deadline = Deadline.After(limit, cancellationToken, time);
        bool ok;
        string actual;
        try
        {
            (ok, actual) = await body(deadline.Token);
        }
        catch (OperationCanceledException) when (deadline.Expired)
        {
            (ok, actual) = (false, $"no complete answer within {limit.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s");
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException or LabException or FormatException)
        {
            (ok, actual) = (false, e.Message);
        }
        Record(name, points, expected, ok, actual);
        return ok;
    }

    /// <summary>Records a check decided without talking to anyone (e.g. from a stored session).</summary>
    public void Record(string name, double points, string expected, bool ok, string actual)
    {
        total += points;
        count++;
        if (ok)
        {
            score += points;
            passed++;
        }
        events.Emit(new Check(name, ok, ok ? points : 0, points, expected, actual));
    }

    public void Finish(params string[] lines) => events.Emit(new Summary(
        [.. lines, $"Score: {score.ToString(CultureInfo.InvariantCulture)}/{total.ToString(CultureInfo.InvariantCulture)} ({passed} of {count} checks passed)"],
        new Dictionary<string, double?> { ["score"] = score, ["maxScore"] = total, ["passed"] = passed, ["failed"] = count - passed }));
}
