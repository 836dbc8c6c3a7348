using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Netlab.EndToEnd.Tests;

/// <summary>The DNS lab as a student sees it: start the server, query a name, see records and coloured hex.</summary>
public class DnsLabPageTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task Start_the_server_query_a_name_and_see_the_records_and_the_coloured_hex()
    {
        var page = await browser.NewPageAsync();
        await page.GotoAsync("/labs/dns");
        await page.GetByTestId("server-start").ClickAsync();
        await Expect(page.GetByTestId("server-state")).ToContainTextAsync("Running on 127.0.0.1:");
        await Expect(page.GetByTestId("zone-table")).ToContainTextAsync("192.165.1.10");

        await page.GetByTestId("probe-run").ClickAsync();
        await Expect(page.GetByTestId("run-events")).ToContainTextAsync("www.netlab.test: type A, class IN, TTL 260, addr (4) 192.165.1.1");
        await Expect(page.GetByTestId("run-summary")).ToContainTextAsync("status: NOERROR");
        await Expect(page.GetByTestId("hexview")).ToHaveCountAsync(2);

        // The response's answer name is the handout's pointer c0 0c, coloured as its own field.
        var response = page.GetByTestId("hexview").Nth(1);
        await Expect(response.GetByTestId("hex-field").Filter(new() { HasText = "NAME (pointer)" }).First).ToContainTextAsync("www.netlab.test");
        var pointerByte = response.Locator(".byte[title^='NAME (pointer)']").First;
        await Expect(pointerByte).ToHaveTextAsync("c0");
        var colour = await pointerByte.EvaluateAsync<string>("b => getComputedStyle(b).backgroundColor");
        Assert.NotEqual("rgba(0, 0, 0, 0)", colour);

        // The server logged the query live.
        await Expect(page.GetByTestId("server-log")).ToContainTextAsync("www.netlab.test A -> NOERROR");
    }
}
