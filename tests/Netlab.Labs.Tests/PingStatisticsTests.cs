using Netlab.Labs.Core;

namespace Netlab.Labs.Tests;

public class PingStatisticsTests
{
    private static PingStatistics With(int transmitted, params double?[] rtts)
    {
        var stats = new PingStatistics();
        for (var i = 0; i < transmitted; i++) stats.Sent();
        var seq = 1;
        foreach (var rtt in rtts)
            stats.Add(new RttSample(seq++, rtt is null ? RttOutcome.Timeout : RttOutcome.Reply, rtt, null, null));
        return stats;
    }

    [Fact]
    public void Mdev_is_the_population_standard_deviation_as_iputils_computes_it()
    {
        // iputils: tsum/n = 2.5, tsum2/n = 7.5 -> sqrt(7.5 - 6.25) = 1.118034
        var stats = With(4, 1, 2, 3, 4);
        Assert.Equal(1, stats.Min);
        Assert.Equal(4, stats.Max);
        Assert.Equal(2.5, stats.Average);
        Assert.Equal(Math.Sqrt(1.25), stats.MeanDeviation!.Value, 9);
    }

    [Fact]
    public void Equal_samples_have_zero_mdev_not_NaN()
    {
        var stats = With(3, 0.1, 0.1, 0.1);
        Assert.Equal(0, stats.MeanDeviation);
    }

    [Fact]
    public void Formats_the_statistics_block_like_iputils()
    {
        var stats = With(10, 0.081, null, 0.190, 0.1, null, 0.09, 0.12, null, 0.11, 0.093);
        var lines = stats.FormatLines("127.0.0.1:12000");
        Assert.Equal("--- 127.0.0.1:12000 ping statistics ---", lines[0]);
        Assert.Equal("10 packets transmitted, 7 received, 30% packet loss", lines[1]);
        Assert.Matches(@"^rtt min/avg/max/mdev = 0\.081/0\.112/0\.190/0\.03\d ms$", lines[2]);
    }

    [Fact]
    public void Loss_uses_percent_g_formatting_and_time_when_given()
    {
        var stats = With(3, 0.5, null, null);
        Assert.Equal("3 packets transmitted, 1 received, 66.6667% packet loss, time 2003ms", stats.FormatLines("h", TimeSpan.FromMilliseconds(2003.7))[1]);
    }

    [Fact]
    public void No_replies_means_no_rtt_line_and_null_values()
    {
        var stats = With(2, null, null);
        Assert.Equal(2, stats.FormatLines("h").Count);
        var summary = stats.ToSummary("h");
        Assert.Equal(100, summary.Values["lossPercent"]);
        Assert.Null(summary.Values["rttAvgMs"]);
    }

    [Fact]
    public void Late_and_duplicate_replies_are_counted_apart_from_received()
    {
        var stats = With(2, 0.2, null);
        stats.Add(new RttSample(2, RttOutcome.Late, 1500, null, null));
        stats.Add(new RttSample(1, RttOutcome.Duplicate, 0.3, null, null));
        Assert.Equal(1, stats.Received);
        Assert.Equal("2 packets transmitted, 1 received, +1 late, +1 duplicates, 50% packet loss", stats.FormatLines("h")[1]);
        Assert.Equal(0.2, stats.Max);
    }
}
