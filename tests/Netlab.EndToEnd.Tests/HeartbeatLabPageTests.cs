using static Microsoft.Playwright.Assertions;

namespace Netlab.EndToEnd.Tests;

/// <summary>Start the heartbeat server and client, pause the client, see the server mark it stopped.</summary>
public class HeartbeatLabPageTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task Pause_the_client_and_see_the_server_mark_it_stopped_then_alive_again()
    {
        var page = await browser.NewPageAsync();
        await page.GotoAsync("/labs/heartbeat");
        var stopped = page.Locator("[data-testid=server-stoppedAfterMs] input").First;
        // Long enough that a test machine under load (three test assemblies at once) does not stall a
        // 100 ms heartbeat into a second, spurious outage; short enough to keep the test quick.
        await stopped.FillAsync("2000");
        await stopped.PressAsync("Tab");
        await page.GetByTestId("server-start").ClickAsync();
        await Expect(page.GetByTestId("server-state")).ToContainTextAsync("Running on 127.0.0.1:");

        var interval = page.Locator("[data-testid=probe-intervalMs] input").First;
        await interval.FillAsync("100");
        await interval.PressAsync("Tab");
        await page.GetByTestId("probe-run").ClickAsync();

        await Expect(page.GetByTestId("heartbeat-state")).ToHaveTextAsync("alive");
        await Expect(page.GetByTestId("heartbeats-sent")).ToContainTextAsync("heartbeats sent");
        await page.GetByTestId("heartbeat-pause").ClickAsync();
        await Expect(page.GetByTestId("heartbeat-state")).ToHaveTextAsync("stopped", new() { Timeout = 10_000 });
        await Expect(page.GetByTestId("server-log")).ToContainTextAsync("STOPPED after");

        await page.GetByTestId("heartbeat-pause").ClickAsync(); // resume
        await Expect(page.GetByTestId("heartbeat-state")).ToHaveTextAsync("alive", new() { Timeout = 10_000 });
        await Expect(page.GetByTestId("heartbeat-counters")).ToContainTextAsync("outages 1");
        await Expect(page.GetByTestId("server-log")).ToContainTextAsync("RESUMED after");
        await page.GetByTestId("probe-cancel").ClickAsync();
    }
}
