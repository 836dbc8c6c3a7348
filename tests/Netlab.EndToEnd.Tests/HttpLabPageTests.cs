using static Microsoft.Playwright.Assertions;

namespace Netlab.EndToEnd.Tests;

/// <summary>The web server lab as a student sees it, and its server seen by a real browser.</summary>
public class HttpLabPageTests(PortalFixture fixture) : BrowserTest(fixture)
{
    [Fact]
    public async Task Start_the_web_server_open_its_page_in_the_browser_and_see_a_404()
    {
        await OpenLabAsync("http");
        await Expect(Page.GetByTestId("content-root")).ToContainTextAsync("wwwroot-content");
        var port = await StartServerAsync();
        await Expect(Page.GetByTestId("open-hello")).ToHaveAttributeAsync("href", $"http://127.0.0.1:{port}/HelloWorld.html");
        var href = (await Page.GetByTestId("open-hello").GetAttributeAsync("href"))!;

        // Chromium loads the page from the hand-written server.
        var site = await Page.Context.NewPageAsync();
        var response = await site.GotoAsync(href);
        Assert.Equal(200, response!.Status);
        await Expect(site.Locator("h1")).ToHaveTextAsync("Hello World");
        await Expect(site.Locator("img")).ToHaveJSPropertyAsync("naturalWidth", 64); // the image came too
        var missing = await site.GotoAsync(href.Replace("HelloWorld.html", "no-such-page.html"));
        Assert.Equal(404, missing!.Status);
        await Expect(site.Locator("h1")).ToHaveTextAsync("404 Not Found");

        // The server panel logged those requests live.
        await Expect(Page.GetByTestId("server-log")).ToContainTextAsync("\"GET /HelloWorld.html\" 200");
        await Expect(Page.GetByTestId("server-log")).ToContainTextAsync("\"GET /no-such-page.html\" 404");

        // Stopping it from the panel closes its port.
        await Page.GetByTestId("server-stop").ClickAsync();
        await Expect(Page.GetByTestId("server-state")).ToHaveTextAsync("Stopped");
        using var http = new HttpClient();
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync(href));
    }

    [Fact]
    public async Task Fetch_a_page_with_the_client_and_grade_the_server_with_checks_filling_in()
    {
        await OpenLabAsync("http");
        await StartServerAsync();

        await Page.GetByTestId("probe-run").First.ClickAsync();
        await Expect(Page.GetByTestId("transcript")).ToContainTextAsync("> GET /HelloWorld.html HTTP/1.1");
        await Expect(Page.GetByTestId("transcript")).ToContainTextAsync("< HTTP/1.1 200 OK");
        await Expect(Page.GetByTestId("http-status")).ToHaveTextAsync("200 OK");
        await Expect(Page.GetByTestId("http-body-frame")).ToBeVisibleAsync();

        // The grader's time limit per check is for broken servers; a loaded test machine gets a generous one.
        var graderTimeout = Field("probe-timeoutMs").Nth(1);
        await SetAsync(graderTimeout, "30000");
        await Page.GetByTestId("probe-run").Nth(1).ClickAsync();
        await Expect(Page.GetByTestId("check-row")).ToHaveCountAsync(8);
        await Expect(Page.GetByTestId("run-summary").Last).ToContainTextAsync("Score: 13/13");
        Assert.Equal(0, await Page.Locator("[data-testid=check-row].failed").CountAsync());
    }
}
