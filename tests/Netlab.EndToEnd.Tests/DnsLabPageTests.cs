using static Microsoft.Playwright.Assertions;

namespace Netlab.EndToEnd.Tests;

/// <summary>The DNS lab as a student sees it: start the server, query a name, see records and coloured hex.</summary>
public class DnsLabPageTests(PortalFixture fixture) : BrowserTest(fixture)
{
    [Fact]
    public async Task Start_the_server_query_a_name_and_see_the_records_and_the_coloured_hex()
    {
        await OpenLabAsync("dns");
        await StartServerAsync();
        await Expect(Page.GetByTestId("zone-table")).ToContainTextAsync("192.165.1.10");

        await Page.GetByTestId("probe-run").ClickAsync();
        await Expect(Page.GetByTestId("run-events")).ToContainTextAsync("www.netlab.test: type A, class IN, TTL 260, addr (4) 192.165.1.1");
        await Expect(Page.GetByTestId("run-summary")).ToContainTextAsync("status: NOERROR");
        await Expect(Page.GetByTestId("hexview")).ToHaveCountAsync(2);

        // The response's answer name is the handout's pointer c0 0c, coloured as its own field.
        var response = Page.GetByTestId("hexview").Nth(1);
        await Expect(response.GetByTestId("hex-field").Filter(new() { HasText = "NAME (pointer)" }).First).ToContainTextAsync("www.netlab.test");
        var pointerByte = response.Locator(".byte[title^='NAME (pointer)']").First;
        await Expect(pointerByte).ToHaveTextAsync("c0");
        var colour = await pointerByte.EvaluateAsync<string>("b => getComputedStyle(b).backgroundColor");
        Assert.NotEqual("rgba(0, 0, 0, 0)", colour);

        // The server logged the query live.
        await Expect(Page.GetByTestId("server-log")).ToContainTextAsync("www.netlab.test A -> NOERROR");
    }
}
