/* A version's per-entry bookkeeping, in one pass of C per step.
 *
 * Re-adding a folder of 100,000 files makes an entry per file, and logging it checks every
 * path, computes the artifact digest and compares every row with the base version's
 * (stores/shared_manifests.py). In Python each step costs about 0.3-1 us per entry, several
 * times the stat that noticed the file; here the same steps walk the entries' fields without
 * making an object per entry per step. Every function has a Python twin (core/manifest_steps.py),
 * which runs where this module is not built and which the tests hold it to.
 *
 * Python API (module artifact_gui.core._manifest):
 *   set_entry_type(ManifestEntry, FileStat)
 *       Called once on import: where ManifestEntry keeps its fields (a slots class), read then
 *       without an attribute lookup; another type's entries are read by attribute.
 *   local_entries(entry_prefix, physical_prefix, names, stats, digests) -> list | None
 *       A listed folder's entries (core/staged.py), made without running a constructor per
 *       file; None when the classes are not laid out as set_entry_type expects.
 *   first_problem(entries) -> int
 *       The index of the first entry the draft check (validate_draft) refuses: a path that is
 *       not a str, empty, absolute, holds a backslash or NUL, has an empty, '.' or '..' part,
 *       or repeats an earlier path; or an entry with no local_path, ref or digest. -1: none.
 *   digest_lines(entries) -> bytes | None
 *       b"path:digest\n" per entry, sorted by path (UTF-8 byte order: code point order), for
 *       the artifact digest; the paths must be distinct. None: a path or digest that is not a
 *       str, or not encodable as UTF-8 (the Python twin then decides).
 *   unmatched(entries, base_keys) -> (added, other, gone) | None
 *       base_keys: the base's keyed rows, one key per line (shared_manifests._KEY_SQL).
 *       added: indices of keyed entries whose key is not a base key; other: indices of entries
 *       that are not keyed (compared whole by the caller); gone: base keys no entry matched.
 *       None: a base key repeats (damage: the caller stores the version whole).
 *   An entry is keyed when ref is None, extra is falsy, birth_artifact_id is None, size is an
 *   int (not a bool) that fits int64, digest is a str of 24 characters, and neither the path
 *   nor the digest holds a newline; its key is digest + str(size) + " " + path. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <structmember.h>

/* The fields read, by index: their interned names, and where ManifestEntry (a slots class)
 * keeps them (set_entry_type), so that reading one costs a load instead of an attribute
 * lookup. Another type's entries are read by attribute. */
enum { PATH, DIGEST, SIZE, REF, EXTRA, BIRTH, LOCAL_PATH, LOCAL_STAT, FIELDS };
static const char *FIELD_NAMES[FIELDS] = {"path", "digest", "size", "ref", "extra", "birth_artifact_id",
                                          "local_path", "local_stat"};
static PyObject *field_names[FIELDS];
static PyTypeObject *entry_type;
static Py_ssize_t field_offsets[FIELDS];
/* local_entries makes entries only when ManifestEntry's slots are exactly these fields (then
 * every slot is set) and FileStat is a tuple of four without slots of its own. */
static PyTypeObject *stat_type;

/* ---- a set of byte strings (open addressing) ------------------------------------------ */
typedef struct {
    const char *bytes;
    Py_ssize_t length;
    uint64_t hash;
    int matched;
} Slot;

typedef struct {
    Slot *slots;
    size_t mask;
} Table;

/* Seeded per process (from Python's own randomized str hash), so that keys read from a
 * hostile store.db cannot be chosen to collide; a word at a time, splitmix64's mixer. */
static uint64_t hash_seed;

static uint64_t mix(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static uint64_t hash_bytes(const char *bytes, Py_ssize_t length) {
    uint64_t hash = hash_seed ^ ((uint64_t)length * 0x9e3779b97f4a7c15ULL);
    for (; length >= 8; bytes += 8, length -= 8) {
        uint64_t word;
        memcpy(&word, bytes, 8);
        hash = mix(hash ^ word);
    }
    uint64_t tail = 0;
    memcpy(&tail, bytes, (size_t)length);
    return mix(hash ^ tail);
}

static int table_init(Table *table, size_t expected) {
    size_t capacity = 16;
    while (capacity < 2 * expected + 1)
        capacity *= 2;
    table->slots = calloc(capacity, sizeof(Slot));
    table->mask = capacity - 1;
    return table->slots != NULL;
}

/* The slot holding these bytes, or the empty slot where they would go. */
static Slot *table_find(const Table *table, const char *bytes, Py_ssize_t length, uint64_t hash) {
    size_t i = (size_t)hash & table->mask;
    for (;;) {
        Slot *slot = &table->slots[i];
        if (slot->bytes == NULL ||
            (slot->hash == hash && slot->length == length && memcmp(slot->bytes, bytes, (size_t)length) == 0))
            return slot;
        i = (i + 1) & table->mask;
    }
}

/* ---- entries -------------------------------------------------------------------------- */
/* entry.<field> as a new reference, or NULL with an exception set. */
static PyObject *field(PyObject *entry, int which) {
    if (Py_TYPE(entry) == entry_type) {
        PyObject *value = *(PyObject **)((char *)entry + field_offsets[which]);
        if (value != NULL) {
            Py_INCREF(value);
            return value;
        }
    }
    return PyObject_GetAttr(entry, field_names[which]); /* also raises for an unset slot */
}

static int slots_are_the_fields(PyObject *type) {
    PyObject *slots = PyObject_GetAttrString(type, "__slots__");
    if (slots == NULL) {
        PyErr_Clear();
        return 0;
    }
    int same = PyTuple_Check(slots) && PyTuple_GET_SIZE(slots) == FIELDS;
    for (int i = 0; same && i < FIELDS; i++)
        same = PyUnicode_Check(PyTuple_GET_ITEM(slots, i)) &&
               PyUnicode_CompareWithASCIIString(PyTuple_GET_ITEM(slots, i), FIELD_NAMES[i]) == 0;
    Py_DECREF(slots);
    return same;
}

static int is_plain_tuple_of_four(PyObject *type) {
    if (!PyType_Check(type) || !PyType_IsSubtype((PyTypeObject *)type, &PyTuple_Type) ||
        ((PyTypeObject *)type)->tp_basicsize != PyTuple_Type.tp_basicsize)
        return 0;
    PyObject *names = PyObject_GetAttrString(type, "_fields");
    int four = names != NULL && PyTuple_Check(names) && PyTuple_GET_SIZE(names) == 4;
    Py_XDECREF(names);
    PyErr_Clear();
    return four;
}

/* set_entry_type(ManifestEntry, FileStat) */
static PyObject *set_entry_type(PyObject *module, PyObject *args) {
    PyObject *type, *file_stat;
    if (!PyArg_ParseTuple(args, "O!O:set_entry_type", &PyType_Type, &type, &file_stat))
        return NULL;
    Py_ssize_t offsets[FIELDS];
    for (int i = 0; i < FIELDS; i++) {
        PyObject *descriptor = PyObject_GetAttr(type, field_names[i]);
        if (descriptor == NULL)
            return NULL;
        int is_slot = Py_IS_TYPE(descriptor, &PyMemberDescr_Type) &&
                      ((PyMemberDescrObject *)descriptor)->d_member->type == T_OBJECT_EX;
        offsets[i] = is_slot ? ((PyMemberDescrObject *)descriptor)->d_member->offset : -1;
        Py_DECREF(descriptor);
        if (!is_slot)
            return PyErr_Format(PyExc_TypeError, "%R.%U is not a slot", type, field_names[i]);
    }
    memcpy(field_offsets, offsets, sizeof offsets);
    Py_XSETREF(entry_type, (PyTypeObject *)Py_NewRef(type));
    Py_CLEAR(stat_type);
    if (slots_are_the_fields(type) && is_plain_tuple_of_four(file_stat))
        stat_type = (PyTypeObject *)Py_NewRef(file_stat);
    Py_RETURN_NONE;
}

/* ---- a listed folder's entries ----------------------------------------------------------- */
static int set_slot(PyObject *entry, int which, PyObject *value) {
    if (value == NULL)
        return -1;
    *(PyObject **)((char *)entry + field_offsets[which]) = value; /* steals the reference */
    return 0;
}

static PyObject *new_file_stat(const int64_t *record) {
    PyObject *stat = stat_type->tp_alloc(stat_type, 4);
    if (stat == NULL)
        return NULL;
    for (int i = 0; i < 4; i++) {
        PyObject *number = PyLong_FromLongLong(record[i]);
        if (number == NULL) {
            Py_DECREF(stat);
            return NULL;
        }
        PyTuple_SET_ITEM(stat, i, number);
    }
    return stat;
}

/* local_entries(entry_prefix, physical_prefix, names, stats, digests) -> list[ManifestEntry] | None
 * As core/staged.py's Python: per file, ManifestEntry(entry_prefix + name, digest, size,
 * local_path=physical_prefix + name, local_stat=FileStat(*its four stats)). None: the types
 * are not as set_entry_type checked (the caller makes them in Python). */
static PyObject *local_entries(PyObject *module, PyObject *args) {
    PyObject *entry_prefix, *physical_prefix, *names, *stats, *digests;
    if (!PyArg_ParseTuple(args, "UUO!SO!:local_entries", &entry_prefix, &physical_prefix, &PyList_Type, &names,
                          &stats, &PyList_Type, &digests))
        return NULL;
    if (stat_type == NULL)
        Py_RETURN_NONE;
    Py_ssize_t count = PyList_GET_SIZE(names);
    if (PyList_GET_SIZE(digests) != count || PyBytes_GET_SIZE(stats) != count * 4 * (Py_ssize_t)sizeof(int64_t))
        return PyErr_Format(PyExc_ValueError, "names, stats and digests differ in length");
    const int64_t *records = (const int64_t *)PyBytes_AS_STRING(stats);
    PyObject *entries = PyList_New(count);
    if (entries == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *name = PyList_GET_ITEM(names, i);
        PyObject *entry = entry_type->tp_alloc(entry_type, 0);
        if (entry == NULL)
            goto error;
        PyList_SET_ITEM(entries, i, entry);
        const int64_t *record = records + 4 * i;
        if (set_slot(entry, PATH, PyUnicode_Concat(entry_prefix, name)) != 0 ||
            set_slot(entry, DIGEST, Py_NewRef(PyList_GET_ITEM(digests, i))) != 0 ||
            set_slot(entry, SIZE, PyLong_FromLongLong(record[1])) != 0 ||
            set_slot(entry, REF, Py_NewRef(Py_None)) != 0 || set_slot(entry, EXTRA, PyDict_New()) != 0 ||
            set_slot(entry, BIRTH, Py_NewRef(Py_None)) != 0 ||
            set_slot(entry, LOCAL_PATH, PyUnicode_Concat(physical_prefix, name)) != 0 ||
            set_slot(entry, LOCAL_STAT, new_file_stat(record)) != 0)
            goto error;
    }
    return entries;
error:
    Py_DECREF(entries);
    return NULL;
}

static int valid_path(const char *path, Py_ssize_t length) {
    if (length == 0 || path[0] == '/')
        return 0;
    Py_ssize_t part_start = 0;
    for (Py_ssize_t i = 0; i <= length; i++) {
        char c = i < length ? path[i] : '/';
        if (c == '\\' || c == '\0')
            return 0;
        if (c != '/')
            continue;
        Py_ssize_t part = i - part_start;
        const char *p = path + part_start;
        if (part == 0 || (part == 1 && p[0] == '.') || (part == 2 && p[0] == '.' && p[1] == '.'))
            return 0;
        part_start = i + 1;
    }
    return 1;
}

static int is_true(PyObject *entry, int which) {
    PyObject *value = field(entry, which);
    if (value == NULL)
        return -1;
    int truth = PyObject_IsTrue(value);
    Py_DECREF(value);
    return truth;
}

static PyObject *first_problem(PyObject *module, PyObject *entries) {
    if (!PyList_CheckExact(entries))
        return PyErr_Format(PyExc_TypeError, "entries must be a list");
    Py_ssize_t count = PyList_GET_SIZE(entries);
    Table seen;
    PyObject *paths = PyList_New(0); /* held while `seen` points into their UTF-8 */
    if (paths == NULL || !table_init(&seen, (size_t)count)) {
        Py_XDECREF(paths);
        return PyErr_NoMemory();
    }
    Py_ssize_t problem = -1;
    for (Py_ssize_t i = 0; i < count && problem < 0; i++) {
        PyObject *entry = PyList_GET_ITEM(entries, i);
        PyObject *path = field(entry, PATH);
        if (path == NULL || PyList_Append(paths, path) != 0) {
            Py_XDECREF(path);
            goto error;
        }
        Py_DECREF(path);
        Py_ssize_t length;
        const char *bytes = PyUnicode_Check(path) ? PyUnicode_AsUTF8AndSize(path, &length) : NULL;
        if (bytes == NULL) {
            PyErr_Clear();
            problem = i;
            break;
        }
        uint64_t hash = hash_bytes(bytes, length);
        Slot *slot = table_find(&seen, bytes, length, hash);
        if (!valid_path(bytes, length) || slot->bytes != NULL) {
            problem = i;
            break;
        }
        slot->bytes = bytes;
        slot->length = length;
        slot->hash = hash;
        int has_content = is_true(entry, LOCAL_PATH);
        if (has_content == 0)
            has_content = is_true(entry, REF);
        if (has_content == 0)
            has_content = is_true(entry, DIGEST);
        if (has_content < 0)
            goto error;
        if (!has_content)
            problem = i;
    }
    free(seen.slots);
    Py_DECREF(paths);
    return PyLong_FromSsize_t(problem);
error:
    free(seen.slots);
    Py_DECREF(paths);
    return NULL;
}

/* ---- the artifact digest's lines ------------------------------------------------------- */
typedef struct {
    const char *path;
    Py_ssize_t path_length;
    const char *digest;
    Py_ssize_t digest_length;
} Line;

static int by_path(const void *a, const void *b) {
    const Line *x = a, *y = b;
    Py_ssize_t shorter = x->path_length < y->path_length ? x->path_length : y->path_length;
    int order = memcmp(x->path, y->path, (size_t)shorter);
    if (order != 0)
        return order;
    return (x->path_length > y->path_length) - (x->path_length < y->path_length);
}

static PyObject *digest_lines(PyObject *module, PyObject *entries) {
    if (!PyList_CheckExact(entries))
        return PyErr_Format(PyExc_TypeError, "entries must be a list");
    Py_ssize_t count = PyList_GET_SIZE(entries);
    Line *lines = malloc((size_t)(count ? count : 1) * sizeof *lines);
    /* The entries' fields, held until the lines are written (their UTF-8 lives in them). */
    PyObject *held = PyList_New(2 * count);
    if (lines == NULL || held == NULL) {
        free(lines);
        Py_XDECREF(held);
        return PyErr_NoMemory();
    }
    size_t total = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *entry = PyList_GET_ITEM(entries, i);
        PyObject *path = field(entry, PATH);
        PyObject *digest = path == NULL ? NULL : field(entry, DIGEST);
        if (digest == NULL) {
            Py_XDECREF(path);
            goto error;
        }
        PyList_SET_ITEM(held, 2 * i, path);
        PyList_SET_ITEM(held, 2 * i + 1, digest);
        Line *line = &lines[i];
        line->path = PyUnicode_Check(path) ? PyUnicode_AsUTF8AndSize(path, &line->path_length) : NULL;
        line->digest = PyUnicode_Check(digest) ? PyUnicode_AsUTF8AndSize(digest, &line->digest_length) : NULL;
        if (line->path == NULL || line->digest == NULL) {
            PyErr_Clear();
            free(lines);
            Py_DECREF(held);
            Py_RETURN_NONE;
        }
        total += (size_t)line->path_length + (size_t)line->digest_length + 2;
    }
    int sorted = 1; /* a walked folder's entries mostly come in path order already */
    for (Py_ssize_t i = 1; i < count && sorted; i++)
        sorted = by_path(&lines[i - 1], &lines[i]) < 0;
    if (!sorted)
        qsort(lines, (size_t)count, sizeof *lines, by_path);
    PyObject *text = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)total);
    if (text == NULL)
        goto error;
    char *out = PyBytes_AS_STRING(text);
    for (Py_ssize_t i = 0; i < count; i++) {
        memcpy(out, lines[i].path, (size_t)lines[i].path_length);
        out += lines[i].path_length;
        *out++ = ':';
        memcpy(out, lines[i].digest, (size_t)lines[i].digest_length);
        out += lines[i].digest_length;
        *out++ = '\n';
    }
    free(lines);
    Py_DECREF(held);
    return text;
error:
    free(lines);
    Py_DECREF(held);
    return NULL;
}

/* ---- rows against the base's ----------------------------------------------------------- */
/* value in decimal, as str(int) spells it, into text (24 bytes); returns its length. */
static int decimal(long long value, char *text) {
    char reversed[24];
    int length = 0;
    unsigned long long magnitude = value < 0 ? 0ULL - (unsigned long long)value : (unsigned long long)value;
    do {
        reversed[length++] = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude);
    int out = 0;
    if (value < 0)
        text[out++] = '-';
    while (length)
        text[out++] = reversed[--length];
    return out;
}

/* The entry's key into *buffer (grown as needed); 1 if keyed, 0 if not, -1 on error. */
static int entry_key(PyObject *entry, char **buffer, size_t *capacity, Py_ssize_t *key_length) {
    int keyed = 0;
    PyObject *ref = NULL, *birth = NULL, *size = NULL, *digest = NULL, *path = NULL;
    if ((ref = field(entry, REF)) == NULL || (birth = field(entry, BIRTH)) == NULL ||
        (size = field(entry, SIZE)) == NULL || (digest = field(entry, DIGEST)) == NULL ||
        (path = field(entry, PATH)) == NULL)
        goto error;
    if (ref != Py_None || birth != Py_None || !PyLong_CheckExact(size) || !PyUnicode_CheckExact(digest) ||
        PyUnicode_GET_LENGTH(digest) != 24 || !PyUnicode_Check(path))
        goto done;
    int extra = is_true(entry, EXTRA);
    if (extra < 0)
        goto error;
    if (extra)
        goto done;
    int overflow;
    long long size_value = PyLong_AsLongLongAndOverflow(size, &overflow);
    if (overflow || (size_value == -1 && PyErr_Occurred())) {
        PyErr_Clear();
        goto done;
    }
    Py_ssize_t digest_length, path_length;
    const char *digest_bytes = PyUnicode_AsUTF8AndSize(digest, &digest_length);
    const char *path_bytes = digest_bytes == NULL ? NULL : PyUnicode_AsUTF8AndSize(path, &path_length);
    if (path_bytes == NULL) {
        PyErr_Clear(); /* not encodable: compared whole */
        goto done;
    }
    if (memchr(digest_bytes, '\n', (size_t)digest_length) || memchr(path_bytes, '\n', (size_t)path_length))
        goto done;
    char size_text[24];
    int size_length = decimal(size_value, size_text);
    size_t needed = (size_t)digest_length + (size_t)size_length + 1 + (size_t)path_length;
    if (needed > *capacity) {
        char *grown = realloc(*buffer, needed);
        if (grown == NULL) {
            PyErr_NoMemory();
            goto error;
        }
        *buffer = grown;
        *capacity = needed;
    }
    char *out = *buffer;
    memcpy(out, digest_bytes, (size_t)digest_length);
    out += digest_length;
    memcpy(out, size_text, (size_t)size_length);
    out += size_length;
    *out++ = ' ';
    memcpy(out, path_bytes, (size_t)path_length);
    *key_length = (Py_ssize_t)needed;
    keyed = 1;
    goto done;
error:
    keyed = -1;
done:
    Py_XDECREF(ref);
    Py_XDECREF(birth);
    Py_XDECREF(size);
    Py_XDECREF(digest);
    Py_XDECREF(path);
    return keyed;
}

static int append_index(PyObject *list, Py_ssize_t index) {
    PyObject *number = PyLong_FromSsize_t(index);
    if (number == NULL)
        return -1;
    int failed = PyList_Append(list, number);
    Py_DECREF(number);
    return failed;
}

static PyObject *unmatched(PyObject *module, PyObject *args) {
    PyObject *entries, *base_keys;
    if (!PyArg_ParseTuple(args, "O!U:unmatched", &PyList_Type, &entries, &base_keys))
        return NULL;
    Py_ssize_t text_length;
    const char *text = PyUnicode_AsUTF8AndSize(base_keys, &text_length);
    if (text == NULL)
        return NULL;
    size_t base_count = 0;
    for (Py_ssize_t i = 0; i < text_length; i++)
        base_count += text[i] == '\n';
    base_count += text_length > 0;
    Table base;
    if (!table_init(&base, base_count))
        return PyErr_NoMemory();
    PyObject *added = NULL, *other = NULL, *gone = NULL, *result = NULL;
    char *key = NULL;
    size_t key_capacity = 0;
    for (Py_ssize_t start = 0; text_length > 0 && start <= text_length;) {
        const char *end = memchr(text + start, '\n', (size_t)(text_length - start));
        Py_ssize_t length = (end ? end - text : text_length) - start;
        uint64_t hash = hash_bytes(text + start, length);
        Slot *slot = table_find(&base, text + start, length, hash);
        if (slot->bytes != NULL) {
            free(base.slots);
            Py_RETURN_NONE; /* a key twice: not one key per row */
        }
        slot->bytes = text + start;
        slot->length = length;
        slot->hash = hash;
        start += length + 1;
    }
    if ((added = PyList_New(0)) == NULL || (other = PyList_New(0)) == NULL || (gone = PyList_New(0)) == NULL)
        goto done;
    Py_ssize_t count = PyList_GET_SIZE(entries);
    for (Py_ssize_t i = 0; i < count; i++) {
        Py_ssize_t key_length = 0;
        int keyed = entry_key(PyList_GET_ITEM(entries, i), &key, &key_capacity, &key_length);
        if (keyed < 0)
            goto done;
        if (!keyed) {
            if (append_index(other, i) != 0)
                goto done;
            continue;
        }
        Slot *slot = table_find(&base, key, key_length, hash_bytes(key, key_length));
        if (slot->bytes != NULL)
            slot->matched = 1;
        else if (append_index(added, i) != 0)
            goto done;
    }
    for (size_t i = 0; i <= base.mask; i++) {
        Slot *slot = &base.slots[i];
        if (slot->bytes == NULL || slot->matched)
            continue;
        PyObject *line = PyUnicode_DecodeUTF8(slot->bytes, slot->length, NULL);
        if (line == NULL || PyList_Append(gone, line) != 0) {
            Py_XDECREF(line);
            goto done;
        }
        Py_DECREF(line);
    }
    result = PyTuple_Pack(3, added, other, gone);
done:
    free(base.slots);
    free(key);
    Py_XDECREF(added);
    Py_XDECREF(other);
    Py_XDECREF(gone);
    return result;
}

static PyMethodDef methods[] = {
    {"set_entry_type", set_entry_type, METH_VARARGS, "set_entry_type(ManifestEntry, FileStat): their layout"},
    {"local_entries", local_entries, METH_VARARGS, "local_entries(...) -> list[ManifestEntry] | None"},
    {"first_problem", first_problem, METH_O, "first_problem(entries) -> int; see _manifest.c"},
    {"digest_lines", digest_lines, METH_O, "digest_lines(entries) -> bytes | None; see _manifest.c"},
    {"unmatched", unmatched, METH_VARARGS, "unmatched(entries, base_keys) -> (added, other, gone) | None"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_manifest", NULL, -1, methods};

PyMODINIT_FUNC PyInit__manifest(void) {
    for (int i = 0; i < FIELDS; i++)
        if ((field_names[i] = PyUnicode_InternFromString(FIELD_NAMES[i])) == NULL)
            return NULL;
    Py_hash_t seed = PyObject_Hash(field_names[PATH]);
    if (seed == -1)
        return NULL;
    hash_seed = mix((uint64_t)seed);
    return PyModule_Create(&module);
}
