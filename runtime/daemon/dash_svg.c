/* dash_svg.c - stacked bar charts as inline SVG (dash_svg.h). */
#include "prompt_form.h"
#include "dash_svg.h"

#include "case.h"
#include "daemon_int.h"

#include <string.h>

const char *const dash_sev_colour[5] = { "#999", "#6a9f6a", "#d9b300", "#e8741c", "#b00020" };
const char *const dash_series_colour[6] = { "#3465a4", "#75507b", "#4e9a06", "#c17d11", "#cc0000",
					    "#555753" };

void dash_svg_stacked(struct store_buf *b, const char *id, const uint64_t *counts, size_t ns,
		      size_t nb, const char *const *names, const char *const *colours, int64_t from,
		      int64_t bucket_ms)
{
	uint64_t max = 1;
	for (size_t k = 0; k < nb; k++) {
		uint64_t t = 0;
		for (size_t s = 0; s < ns; s++)
			t += counts[s * nb + k];
		if (t > max)
			max = t;
	}
	const int W = 720, H = 160, bw = nb ? (int)(W / nb) : W;
	store_buf_str(b, "<svg id=\"");
	pform_html_escape(b, id);
	store_buf_printf(b, "\" width=%d height=%d viewBox=\"0 0 %d %d\" role=img>", W, H + 20, W,
			 H + 20);
	for (size_t k = 0; k < nb; k++) {
		double y = H;
		for (size_t s = 0; s < ns; s++) {
			uint64_t v = counts[s * nb + k];
			if (!v)
				continue;
			double h = (double)v * (H - 12) / (double)max;
			y -= h;
			store_buf_printf(b, "<rect x=%d y=%.1f width=%d height=%.1f fill=\"%s\"><title>",
					 (int)k * bw + 1, y, bw > 2 ? bw - 2 : 1, h, colours[s]);
			pform_html_escape(b, names[s]);
			store_buf_printf(b, ": %llu</title></rect>", (unsigned long long)v);
		}
		if (k % 5 == 0 || k + 1 == nb) {
			char day[32];
			case_time_format(from + (int64_t)k * bucket_ms, day, sizeof day);
			day[10] = 0;
			store_buf_printf(b, "<text x=%d y=%d font-size=10>%s</text>", (int)k * bw, H + 14,
					 day + 5);
		}
	}
	store_buf_printf(b, "<text x=2 y=10 font-size=10>max %llu per bucket</text></svg><div "
			 "class=legend>", (unsigned long long)max);
	for (size_t s = 0; s < ns; s++) {
		store_buf_printf(b, " <svg width=10 height=10><rect width=10 height=10 fill=\"%s\">"
				 "</rect></svg> ", colours[s]);
		pform_html_escape(b, names[s]);
	}
	store_buf_str(b, "</div>");
}
