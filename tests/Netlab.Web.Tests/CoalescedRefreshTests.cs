using Microsoft.Extensions.Time.Testing;
using Netlab.Web.Components.Shared;

namespace Netlab.Web.Tests;

/// <summary>The runs list's refresh: at once after a quiet spell, a burst of changes coalesced into one more at the interval's end.</summary>
public sealed class CoalescedRefreshTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    [Fact]
    public void A_burst_of_requests_refreshes_once_at_once_and_once_more_at_the_end_of_the_interval()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-03T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var refreshes = 0;
        using var refresh = new CoalescedRefresh(Interval, time, () => { refreshes++; return Task.CompletedTask; });

        refresh.Request();
        Assert.Equal(1, refreshes); // the first change shows at once

        for (var i = 0; i < 200; i++)
        {
            refresh.Request(); // a class starting its runs
            time.Advance(TimeSpan.FromMilliseconds(1));
        }
        // 200 ms in: nothing more yet, then one refresh at the interval's end for all of them.
        Assert.Equal(1, refreshes);
        time.Advance(Interval - TimeSpan.FromMilliseconds(201));
        Assert.Equal(1, refreshes);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(2, refreshes);

        // Nothing asked since: nothing more, however long it stays quiet.
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(2, refreshes);

        // After a quiet spell, at once again.
        refresh.Request();
        Assert.Equal(3, refreshes);
    }

    [Fact]
    public void A_request_right_after_a_refresh_waits_for_the_interval_and_a_disposed_one_never_runs()
    {
        var time = new FakeTimeProvider();
        var refreshes = 0;
        var refresh = new CoalescedRefresh(Interval, time, () => { refreshes++; return Task.CompletedTask; });
        refresh.Request();
        time.Advance(TimeSpan.FromMilliseconds(100));
        refresh.Request();
        Assert.Equal(1, refreshes);

        refresh.Dispose(); // the page closed
        time.Advance(TimeSpan.FromSeconds(1));
        refresh.Request();
        Assert.Equal(1, refreshes);
    }
}
