using System.Text.RegularExpressions;
using static Microsoft.Playwright.Assertions;

namespace Netlab.EndToEnd.Tests;

/// <summary>Start the heartbeat server and client, pause the client, see the server mark it stopped.</summary>
public class HeartbeatLabPageTests(PortalFixture fixture) : BrowserTest(fixture)
{
    [Fact]
    public async Task Pause_the_client_and_see_the_server_mark_it_stopped_then_alive_again()
    {
        await OpenLabAsync("heartbeat");
        // Long enough that a loaded machine rarely stalls a 100 ms heartbeat into a spurious outage
        // (the server's silence limit is wall-clock time); the assertions below tolerate one anyway.
        await SetNumberAsync("server-stoppedAfterMs", "2000");
        await StartServerAsync();

        await SetNumberAsync("probe-intervalMs", "100");
        await Page.GetByTestId("probe-run").ClickAsync();

        var state = Page.GetByTestId("heartbeat-state");
        var counters = Page.GetByTestId("heartbeat-counters");
        await Expect(state).ToHaveTextAsync("alive");
        await Expect(Page.GetByTestId("heartbeats-sent")).ToContainTextAsync("heartbeats sent");
        var outagesBefore = Outages(await counters.InnerTextAsync());

        await Page.GetByTestId("heartbeat-pause").ClickAsync();
        await Expect(state).ToHaveTextAsync("stopped");
        await Expect(Page.GetByTestId("server-log")).ToContainTextAsync("STOPPED after");

        await Page.GetByTestId("heartbeat-pause").ClickAsync(); // resume
        await Expect(state).ToHaveTextAsync("alive");
        await Expect(Page.GetByTestId("server-log")).ToContainTextAsync("RESUMED after");
        // The pause is one more outage (counted when the server declared the client stopped).
        Assert.True(Outages(await counters.InnerTextAsync()) > outagesBefore);
    }

    private static int Outages(string counters) => int.Parse(Regex.Match(counters, @"outages (\d+)").Groups[1].Value);
}
