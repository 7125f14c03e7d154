#ifndef GENTRACK_BANNED_H
#define GENTRACK_BANNED_H

/*
 * Functions that are easy to misuse with buffers sized by input (as git's
 * banned.h): including this header after the system headers turns their use
 * into a compile error. Use snprintf, memcpy with a known length, or strbuf.
 */
#define BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) BANNED(strncpy)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef gets
#define gets(x) BANNED(gets)

#endif
