using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Netlab.EndToEnd.Tests;

/// <summary>What a student sees: start the server, run the probe, watch results arrive live.</summary>
public class UdpPingLabPageTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private static async Task SetNumberAsync(IPage page, string testId, string value)
    {
        var input = page.Locator($"[data-testid={testId}] input, input[data-testid={testId}]").First;
        await input.FillAsync(value);
        await input.PressAsync("Tab"); // Radzen binds on change
    }

    [Fact]
    public async Task Start_the_server_run_the_probe_and_see_rows_chart_and_summary_fill_in_live()
    {
        var page = await browser.NewPageAsync();
        await page.GotoAsync("/labs/udp-ping");

        await page.GetByTestId("server-start").ClickAsync();
        await Expect(page.GetByTestId("server-state")).ToContainTextAsync("Running on 127.0.0.1:");
        var port = Regex.Match(await page.GetByTestId("server-state").InnerTextAsync(), @":(\d+)").Groups[1].Value;
        // The probe's target is prefilled with the running server.
        await Expect(page.Locator("[data-testid=probe-port] input, input[data-testid=probe-port]").First).ToHaveValueAsync(port);

        await SetNumberAsync(page, "probe-timeoutMs", "300");
        await SetNumberAsync(page, "probe-intervalMs", "300");
        await page.GetByTestId("probe-run").ClickAsync();

        // Rows arrive while the run is still going: the first is seen before the tenth.
        var rows = page.GetByTestId("ping-row");
        await Expect(rows.First).ToBeVisibleAsync();
        Assert.InRange(await rows.CountAsync(), 1, 9);
        await Expect(page.GetByTestId("ping-summary")).ToContainTextAsync("10 packets transmitted", new() { Timeout = 30_000 });
        await Expect(page.GetByTestId("ping-progress-text")).ToContainTextAsync("10 of 10 pings");

        var summary = await page.GetByTestId("ping-summary").InnerTextAsync();
        var received = int.Parse(Regex.Match(summary, @"(\d+) received").Groups[1].Value);
        Assert.Matches(@"10 packets transmitted, \d+ received, \d+(\.\d+)?% packet loss", summary);
        if (received > 0)
            Assert.Matches(@"rtt min/avg/max/mdev = \d+\.\d{3}/\d+\.\d{3}/\d+\.\d{3}/\d+\.\d{3} ms", summary);
        var rowCount = await rows.CountAsync();
        Assert.True(rowCount >= 10);
        Assert.Equal(10 - received, await page.Locator("[data-testid=ping-row]:has-text('Request timed out')").CountAsync());
        // The chart drew the replies.
        Assert.True(await page.Locator("[data-testid=ping-chart] svg path").CountAsync() > 0);
        // The server panel showed each datagram it saw.
        await Expect(page.GetByTestId("server-log")).ToContainTextAsync(received < 10 ? "DROPPED" : "echoed");

        // The run is on the Runs page, and opening it replays the same results from the store.
        await page.GetByTestId("run-link").ClickAsync();
        await Expect(page.GetByTestId("run-status")).ToContainTextAsync("Succeeded");
        await Expect(page.GetByTestId("ping-summary")).ToHaveTextAsync(summary);
        await Expect(page.GetByTestId("ping-row")).ToHaveCountAsync(rowCount);

        await page.GotoAsync("/runs");
        await Expect(page.GetByTestId("runs-grid")).ToContainTextAsync("udp-ping");
        await Expect(page.GetByTestId("runs-grid")).ToContainTextAsync("Succeeded");
        await Expect(page.GetByTestId("runs-grid")).ToContainTextAsync($"127.0.0.1:{port}");

        await page.GotoAsync("/labs/udp-ping");
        await page.GetByTestId("server-stop").ClickAsync();
        await Expect(page.GetByTestId("server-state")).ToHaveTextAsync("Stopped");
    }

    [Fact]
    public async Task A_target_that_is_not_allowed_is_explained_in_a_notification()
    {
        var page = await browser.NewPageAsync();
        await page.GotoAsync("/labs/udp-ping");
        var host = page.Locator("[data-testid=probe-host]");
        await host.FillAsync("192.0.2.10");
        await host.PressAsync("Tab");

        await page.GetByTestId("probe-run").ClickAsync();

        await Expect(page.Locator(".rz-notification")).ToContainTextAsync("192.0.2.10 is not one of them");
        await Expect(page.GetByTestId("ping-results")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task The_runs_page_lists_a_run_started_elsewhere_without_reloading()
    {
        var page = await browser.NewPageAsync();
        await page.GotoAsync("/runs");
        await Expect(page.GetByTestId("runs-grid")).ToBeVisibleAsync();

        // Started through the API while the page is open.
        using var api = new HttpClient { BaseAddress = browser.BaseAddress };
        using var silent = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
        silent.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        var port = ((System.Net.IPEndPoint)silent.LocalEndPoint!).Port;
        var response = await System.Net.Http.Json.HttpClientJsonExtensions.PostAsJsonAsync(api, "/api/runs",
            new { probe = "udp-ping", target = new { host = "127.0.0.1", port }, options = new { count = 2, timeoutMs = 50 } });
        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);

        await Expect(page.GetByTestId("runs-grid")).ToContainTextAsync($"127.0.0.1:{port}");
        await Expect(page.GetByTestId("runs-grid")).ToContainTextAsync("100% packet loss");
    }
}
