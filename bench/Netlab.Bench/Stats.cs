namespace Netlab.Bench;

public static class Stats
{
    public static double Median(IEnumerable<double> samples) => Percentile(samples, 0.50);

    /// <summary>Nearest rank: the smallest sample with at least a fraction p of all samples at or below it. NaN when empty.</summary>
    public static double Percentile(IEnumerable<double> samples, double p)
    {
        var sorted = samples.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[Math.Max(0, (int)Math.Ceiling(p * sorted.Length) - 1)];
    }
}

public static class Rounds
{
    /// <summary>
    /// Both sides, the first one first in odd rounds and second in even ones: on two cores a
    /// run's numbers depend on what ran just before and where the scheduler put it.
    /// </summary>
    public static IEnumerable<T> Alternate<T>(int round, T first, T second) =>
        round % 2 == 1 ? [first, second] : [second, first];
}
