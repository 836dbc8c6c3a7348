using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Netlab.EndToEnd.Tests;

/// <summary>The web server lab as a student sees it, and its server seen by a real browser.</summary>
public class HttpLabPageTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    /// <summary>The tests share one portal: a page opened while another test's server runs attaches to it.</summary>
    private static async Task StartServerAsync(IPage page)
    {
        await Expect(page.GetByTestId("server-state")).ToBeVisibleAsync();
        if ((await page.GetByTestId("server-state").InnerTextAsync()).Contains("Stopped", StringComparison.OrdinalIgnoreCase))
            await page.GetByTestId("server-start").ClickAsync();
        await Expect(page.GetByTestId("server-state")).ToContainTextAsync("Running on 127.0.0.1:");
    }

    [Fact]
    public async Task Start_the_web_server_open_its_page_in_the_browser_and_see_a_404()
    {
        var page = await browser.NewPageAsync();
        await page.GotoAsync("/labs/http");
        await Expect(page.GetByTestId("content-root")).ToContainTextAsync("wwwroot-content");
        await StartServerAsync(page);
        var href = await page.GetByTestId("open-hello").GetAttributeAsync("href");
        Assert.Matches(@"^http://127\.0\.0\.1:\d+/HelloWorld\.html$", href);

        // Chromium loads the page from the hand-written server.
        var site = await page.Context.NewPageAsync();
        var response = await site.GotoAsync(href!);
        Assert.Equal(200, response!.Status);
        await Expect(site.Locator("h1")).ToHaveTextAsync("Hello World");
        await Expect(site.Locator("img")).ToHaveJSPropertyAsync("naturalWidth", 64); // the image came too
        var missing = await site.GotoAsync(href!.Replace("HelloWorld.html", "no-such-page.html"));
        Assert.Equal(404, missing!.Status);
        await Expect(site.Locator("h1")).ToHaveTextAsync("404 Not Found");

        // The server panel logged those requests live.
        await Expect(page.GetByTestId("server-log")).ToContainTextAsync("\"GET /HelloWorld.html\" 200");
        await Expect(page.GetByTestId("server-log")).ToContainTextAsync("\"GET /no-such-page.html\" 404");
        await page.GetByTestId("server-stop").ClickAsync();
        await Expect(page.GetByTestId("server-state")).ToHaveTextAsync("Stopped");
    }

    [Fact]
    public async Task Fetch_a_page_with_the_client_and_grade_the_server_with_checks_filling_in()
    {
        var page = await browser.NewPageAsync();
        await page.GotoAsync("/labs/http");
        await StartServerAsync(page);

        await page.GetByTestId("probe-run").First.ClickAsync();
        await Expect(page.GetByTestId("transcript")).ToContainTextAsync("> GET /HelloWorld.html HTTP/1.1");
        await Expect(page.GetByTestId("transcript")).ToContainTextAsync("< HTTP/1.1 200 OK");
        await Expect(page.GetByTestId("http-status")).ToHaveTextAsync("200 OK");
        await Expect(page.GetByTestId("http-body-frame")).ToBeVisibleAsync();

        await page.GetByTestId("probe-run").Nth(1).ClickAsync();
        await Expect(page.GetByTestId("check-row")).ToHaveCountAsync(8, new() { Timeout = 30_000 });
        await Expect(page.GetByTestId("run-summary").Last).ToContainTextAsync("Score: 13/13");
        Assert.Equal(0, await page.Locator("[data-testid=check-row].failed").CountAsync());

        await page.GetByTestId("server-stop").ClickAsync();
        await Expect(page.GetByTestId("server-state")).ToHaveTextAsync("Stopped");
    }
}
