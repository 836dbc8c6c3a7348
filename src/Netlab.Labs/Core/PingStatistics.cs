using System.Globalization;

namespace Netlab.Labs.Core;

/// <summary>
/// Ping statistics as iputils' ping reports them: transmitted, received, loss and
/// rtt min/avg/max/mdev, where mdev is the population standard deviation
/// sqrt(mean(rtt^2) - mean(rtt)^2) (iputils ping_common.c, finish()).
/// Late and duplicate replies are counted apart and do not count as received.
/// </summary>
public sealed class PingStatistics
{
    private double sum;
    private double sumOfSquares;

    public int Transmitted { get; private set; }
    public int Received { get; private set; }
    public int Late { get; private set; }
    public int Duplicates { get; private set; }
    public int Errors { get; private set; }
    public double? Min { get; private set; }
    public double? Max { get; private set; }

    public double? Average => Received == 0 ? null : sum / Received;

    public double? MeanDeviation
    {
        get
        {
            if (Received == 0) return null;
            var mean = sum / Received;
            // Clamp: rounding can make the difference a hair below zero for equal samples.
            return Math.Sqrt(Math.Max(0, sumOfSquares / Received - mean * mean));
        }
    }

    public double LossPercent => Transmitted == 0 ? 0 : (Transmitted - Received) * 100.0 / Transmitted;

    public void Sent() => Transmitted++;

    public void Add(RttSample sample)
    {
        switch (sample.Outcome)
        {
            case RttOutcome.Reply when sample.RttMs is { } rtt:
                Received++;
                sum += rtt;
                sumOfSquares += rtt * rtt;
                Min = Min is { } min ? Math.Min(min, rtt) : rtt;
                Max = Max is { } max ? Math.Max(max, rtt) : rtt;
                break;
            case RttOutcome.Late: Late++; break;
            case RttOutcome.Duplicate: Duplicates++; break;
            case RttOutcome.Unreachable: Errors++; break;
        }
    }

    /// <summary>The statistics block, e.g. "10 packets transmitted, 7 received, 30% packet loss, time 9012ms".</summary>
    public IReadOnlyList<string> FormatLines(string target, TimeSpan? elapsed = null)
    {
        var inv = CultureInfo.InvariantCulture;
        var counts = $"{Transmitted} packets transmitted, {Received} received";
        if (Late > 0) counts += $", +{Late} late";
        if (Duplicates > 0) counts += $", +{Duplicates} duplicates";
        if (Errors > 0) counts += $", +{Errors} errors";
        // iputils prints the loss with %g: 30%, 33.3333%.
        counts += $", {LossPercent.ToString("G6", inv)}% packet loss";
        if (elapsed is { } t) counts += $", time {(long)t.TotalMilliseconds}ms";
        var lines = new List<string> { $"--- {target} ping statistics ---", counts };
        if (Received > 0)
            lines.Add(string.Create(inv, $"rtt min/avg/max/mdev = {Min:F3}/{Average:F3}/{Max:F3}/{MeanDeviation:F3} ms"));
        return lines;
    }

    public Summary ToSummary(string target, TimeSpan? elapsed = null) => new(
        FormatLines(target, elapsed),
        new Dictionary<string, double?>
        {
            ["transmitted"] = Transmitted,
            ["received"] = Received,
            ["late"] = Late,
            ["duplicates"] = Duplicates,
            ["errors"] = Errors,
            ["lossPercent"] = LossPercent,
            ["rttMinMs"] = Min,
            ["rttAvgMs"] = Average,
            ["rttMaxMs"] = Max,
            ["rttMdevMs"] = MeanDeviation,
        });
}
