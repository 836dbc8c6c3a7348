using Netlab.Labs.Core;

namespace Netlab.Labs.Tests;

public class PacketImpairmentTests
{
    private static bool[] Pattern(PacketImpairment impairment, int n) => Enumerable.Range(0, n).Select(_ => impairment.Next().Drop).ToArray();

    [Fact]
    public void A_seed_repeats_the_same_loss_pattern()
    {
        Assert.Equal(Pattern(new PacketImpairment(0.3, seed: 42), 200), Pattern(new PacketImpairment(0.3, seed: 42), 200));
        Assert.NotEqual(Pattern(new PacketImpairment(0.3, seed: 42), 200), Pattern(new PacketImpairment(0.3, seed: 43), 200));
    }

    [Theory]
    [InlineData(0.3)]
    [InlineData(0.05)]
    [InlineData(0.9)]
    public void Exact_rule_drops_close_to_the_configured_rate(double rate)
    {
        var dropped = Pattern(new PacketImpairment(rate, seed: 7), 20_000).Count(d => d) / 20_000.0;
        Assert.InRange(dropped, rate - 0.02, rate + 0.02);
    }

    [Fact]
    public void Classic_rule_drops_four_in_eleven_whatever_the_rate()
    {
        var impairment = new PacketImpairment(0.0, LossRule.Classic, seed: 7);
        var dropped = Pattern(impairment, 22_000).Count(d => d) / 22_000.0;
        Assert.InRange(dropped, 4 / 11.0 - 0.02, 4 / 11.0 + 0.02);
        Assert.Equal(4 / 11.0, impairment.EffectiveLossRate);
        Assert.Contains("36.4%", impairment.Describe());
    }

    [Fact]
    public void Zero_never_drops_and_one_always_drops()
    {
        Assert.DoesNotContain(true, Pattern(new PacketImpairment(0), 1000));
        Assert.DoesNotContain(false, Pattern(new PacketImpairment(1), 1000));
    }

    [Fact]
    public void Delay_stays_within_jitter_and_never_goes_negative()
    {
        var impairment = new PacketImpairment(0, delayMs: 5, jitterMs: 10, seed: 1);
        var delays = Enumerable.Range(0, 1000).Select(_ => impairment.Next().Delay.TotalMilliseconds).ToList();
        Assert.All(delays, d => Assert.InRange(d, 0, 15));
        Assert.Contains(delays, d => d == 0);  // clamped
        Assert.Contains(delays, d => d > 10);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.1)]
    [InlineData(double.NaN)]
    public void Rejects_impossible_rates(double rate) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new PacketImpairment(rate));
}
