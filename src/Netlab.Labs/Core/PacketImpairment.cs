using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Netlab.Labs.Core;

/// <summary>The loss and delay options of every server that simulates a bad network.</summary>
public abstract record ImpairmentOptions
{
    [Display(Name = "Loss rate")]
    [Range(0.0, 1.0), Description("Probability that a datagram is dropped (0..1).")]
    public double LossRate { get; init; } = 0.30;

    [Display(Name = "Loss rule")]
    [Description("Exact: drop with exactly LossRate. Classic: the handout's randint(0, 10) < 4 rule (36.4%), LossRate ignored.")]
    public LossRule LossRule { get; init; } = LossRule.Exact;

    [Display(Name = "Delay (ms)", GroupName = "Advanced")]
    [Range(0.0, 10_000.0), Description("Delay added to each datagram, in ms.")]
    public double DelayMs { get; init; }

    [Display(Name = "Jitter (ms)", GroupName = "Advanced")]
    [Range(0.0, 10_000.0), Description("Uniform jitter around the delay, in ms (+/-); it reorders datagrams.")]
    public double JitterMs { get; init; }

    [Display(Name = "Random seed", GroupName = "Advanced")]
    [Description("Random seed for a repeatable loss pattern; empty for a new pattern each start.")]
    public int? Seed { get; init; }

    public PacketImpairment CreateImpairment() => new(LossRate, LossRule, DelayMs, JitterMs, Seed);
}

public enum LossRule
{
    /// <summary>Drop each packet with exactly the configured probability.</summary>
    Exact,

    /// <summary>
    /// The handout's UDPPingerServer.py: <c>random.randint(0, 10) &lt; 4</c> drops 4 of 11 values,
    /// 36.4% loss, although its text says 30%.
    /// </summary>
    Classic,
}

/// <summary>
/// Simulated network trouble for lab servers: loss (exact rate or the handout's rule) and an
/// added delay with uniform jitter. A seed makes the pattern repeatable.
/// Thread-safe: decisions are drawn under a lock so a seeded run is reproducible.
/// </summary>
public sealed class PacketImpairment
{
    /// <summary>The loss the handout's rule really produces: 4 of the 11 values 0..10.</summary>
    public const double ClassicLossRate = 4.0 / 11.0;

    private readonly Random random;
    private readonly Lock gate = new();

    public PacketImpairment(double lossRate, LossRule rule = LossRule.Exact, double delayMs = 0, double jitterMs = 0, int? seed = null)
    {
        if (lossRate is < 0 or > 1 || double.IsNaN(lossRate)) throw new ArgumentOutOfRangeException(nameof(lossRate));
        if (delayMs < 0) throw new ArgumentOutOfRangeException(nameof(delayMs));
        if (jitterMs < 0) throw new ArgumentOutOfRangeException(nameof(jitterMs));
        LossRate = lossRate;
        Rule = rule;
        DelayMs = delayMs;
        JitterMs = jitterMs;
        random = seed is { } s ? new Random(s) : new Random();
    }

    public double LossRate { get; }
    public LossRule Rule { get; }
    public double DelayMs { get; }
    public double JitterMs { get; }

    /// <summary>The loss probability actually applied.</summary>
    public double EffectiveLossRate => Rule == LossRule.Classic ? ClassicLossRate : LossRate;

    public string Describe() => Rule == LossRule.Classic
        ? "handout rule randint(0, 10) < 4: 36.4% loss"
        : $"exact loss rate {LossRate:P1}";

    /// <summary>Decides one packet's fate: dropped, or delivered after the returned delay.</summary>
    public (bool Drop, TimeSpan Delay) Next()
    {
        lock (gate)
        {
            var drop = Rule == LossRule.Classic
                ? random.Next(0, 11) < 4
                : LossRate > 0 && random.NextDouble() < LossRate;
            var delay = DelayMs;
            if (JitterMs > 0)
                delay = Math.Max(0, delay + (random.NextDouble() * 2 - 1) * JitterMs);
            return (drop, TimeSpan.FromMilliseconds(delay));
        }
    }
}
