/* format_id: the keys of the format ids (see format_id.h). */
#include "engine/core/format_id.h"

static const char *const keys[] = {
#define FORMAT_ID_KEY_(id, key) [FMT_##id] = key,
    FORMAT_EXPORT_IDS(FORMAT_ID_KEY_) FORMAT_SOURCE_IDS(FORMAT_ID_KEY_)
#undef FORMAT_ID_KEY_
};
_Static_assert(sizeof keys / sizeof keys[0] == FMT_ID_COUNT, "a format id without its key");

const char *format_id_key(FormatId id)
{
    return (int)id >= 0 && (int)id < FMT_ID_COUNT ? keys[id] : "unknown";
}
