using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Netlab.Web.Tests;
using static Microsoft.Playwright.Assertions;

namespace Netlab.EndToEnd.Tests;

/// <summary>An instructor (the signed-in admin) creates an assignment, a student submits in their own browser, the gradebook shows the score and opens the run.</summary>
public partial class GradingPageTests(PortalFixture fixture) : BrowserTest(fixture)
{
    [Fact]
    public async Task Instructor_creates_an_assignment_a_student_submits_and_the_gradebook_opens_the_graded_run()
    {
        // The form's default grader (the first lab's server grader); the title makes it this test's own.
        var title = "Pinger " + Guid.NewGuid().ToString("N")[..6];
        await Page.GotoAsync("/assignments");
        var titleField = Page.GetByTestId("assignment-title");
        await titleField.FillAsync(title);
        await titleField.PressAsync("Tab");
        await Page.GetByTestId("assignment-save").ClickAsync();
        await Expect(Page.GetByTestId("assignments")).ToContainTextAsync(title);

        // The student, their key, and their own server (a Netlab server with the handout's loss stands in for their program).
        var email = $"sam-{Guid.NewGuid():N}@netlab.test";
        var created = (await (await Api.PostAsJsonAsync("/api/users", new { email, name = "Sam Student", role = "Student", password = "browser-password-1" })).Content.ReadFromJsonAsync<JsonObject>())!;
        var key = (string)(await (await Api.PostAsJsonAsync($"/api/users/{created["id"]}/api-keys", new { name = "test" })).Content.ReadFromJsonAsync<JsonObject>())!["key"]!;
        using var student = Api.As(key);
        var lab = (string)(await Api.GetFromJsonAsync<JsonArray>("/api/assignments"))!.Single(a => (string)a!["title"]! == title)!["lab"]!;
        var server = (await (await student.PostAsJsonAsync("/api/servers", new { lab, port = 0 })).Content.ReadFromJsonAsync<JsonObject>())!;

        var state = await Chromium.SignedInStateAsync(Fixture.Browser, Fixture.BaseAddress, email, "browser-password-1");
        var context = await Chromium.NewContextAsync(Fixture.Browser, Fixture.BaseAddress, state);
        try
        {
            var studentPage = await context.NewPageAsync();
            await studentPage.GotoAsync("/assignments");
            await studentPage.GetByTestId("assignment-link").Filter(new() { HasText = title }).ClickAsync();
            await Expect(studentPage.GetByTestId("assignment-heading")).ToHaveTextAsync(title);
            var port = studentPage.GetByTestId("submit-port");
            await port.FillAsync(((int)server["port"]!).ToString());
            await port.PressAsync("Tab");
            await studentPage.GetByTestId("submit").ClickAsync();
            await Expect(studentPage.GetByTestId("submission-status")).ToHaveTextAsync("Graded", new() { Timeout = 60_000 });
            await Expect(studentPage.GetByTestId("submission-score")).ToHaveTextAsync("10 / 10");
            await studentPage.GotoAsync("about:blank");
        }
        finally
        {
            await context.CloseAsync();
        }

        await Page.GotoAsync("/gradebook");
        var row = Page.GetByTestId("gradebook-row").Filter(new() { HasText = email });
        var score = row.GetByTestId("gradebook-score");
        await Expect(score).ToHaveTextAsync("10");
        await score.ClickAsync();
        await Expect(Page).ToHaveURLAsync(new Regex("/runs/[0-9a-f-]{36}$"));
        await Expect(Page.GetByTestId("checks")).ToBeVisibleAsync();
    }
}
