using System.Net.Http.Json;
using System.Text.Json.Nodes;
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

    [Fact]
    public async Task After_a_stop_the_log_stays_and_the_replay_of_the_run_shows_what_the_server_saw()
    {
        await OpenLabAsync("heartbeat");
        var port = await StartServerAsync();
        await SetNumberAsync("probe-intervalMs", "20");
        await SetNumberAsync("probe-count", "10");
        await Page.GetByTestId("probe-run").ClickAsync();
        await Expect(Page.GetByTestId("heartbeats-sent")).ToContainTextAsync("10 heartbeats sent");
        await Expect(Page.GetByTestId("heartbeat-counters")).ToContainTextAsync("received 10");

        // Stopped from the panel, the server's log stays, with a link to its record.
        await Page.GetByTestId("server-stop").ClickAsync();
        await Expect(Page.GetByTestId("server-state")).ToHaveTextAsync("Stopped");
        await Expect(Page.GetByTestId("server-log")).ToContainTextAsync("heartbeat 10");
        await Expect(Page.GetByTestId("server-last")).ToContainTextAsync("stopped");

        var run = (await Api.GetFromJsonAsync<JsonArray>("/api/runs?lab=heartbeat&limit=1"))![0]!;
        Assert.Equal(port, (int)run["target"]!["port"]!);
        await Page.GotoAsync($"/runs/{run["id"]}");
        var replay = Page.GetByTestId("heartbeat-replay-server");
        await Expect(replay.GetByTestId("heartbeat-counters")).ToContainTextAsync("received 10");
        await Expect(replay.GetByTestId("heartbeat-delay-chart")).ToBeVisibleAsync();

        // The server's own page: its record, the same timeline and its stored log.
        await replay.GetByText("its record").ClickAsync();
        await Expect(Page.GetByTestId("stored-server-state")).ToHaveTextAsync("Stopped");
        await Expect(Page.GetByTestId("heartbeat-counters")).ToContainTextAsync("received 10");
        await Expect(Page.GetByTestId("server-event-log")).ToContainTextAsync("heartbeat 10");
    }

    private static int Outages(string counters) => int.Parse(Regex.Match(counters, @"outages (\d+)").Groups[1].Value);
}
