/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * dpidx/dpidx.h - device-private offset index: every encoding, and the
 * default one behind the generic dpidx_* names.
 *
 * The default is the encoding that the committed benchmark run for these
 * headers chooses for the cache-cold fault path, by the rule and policy
 * fixed in bench/report.py (README.md and results/README.md quote them and
 * the run's verdict with its confidence intervals; the `decision` test
 * fails when this header disagrees).  The figures live there, not here, so
 * that a new run never needs a new header.  Define one of
 * DPIDX_ENCODING_FLAT, DPIDX_ENCODING_MAPLE, DPIDX_ENCODING_TAG or
 * DPIDX_ENCODING_DIRECT before including this header to choose another.
 */
#ifndef DPIDX_DPIDX_H
#define DPIDX_DPIDX_H

#include "compat.h"
#include "types.h"
#include "pte.h"
#include "encodings.h"

#if !defined(DPIDX_ENCODING_FLAT) && !defined(DPIDX_ENCODING_MAPLE) && \
	!defined(DPIDX_ENCODING_TAG) && !defined(DPIDX_ENCODING_DIRECT)
#define DPIDX_ENCODING_DIRECT
#endif

#if defined(DPIDX_ENCODING_FLAT)
#define DPIDX_DEFAULT_ENCODING		"flat"
#define DPIDX_DEFAULT(name)		dpidx_flat_##name
#define DPIDX_DEFAULT_SWAP_TYPES	DPIDX_FLAT_SWAP_TYPES
#define dpidx_space			dpidx_flat
#elif defined(DPIDX_ENCODING_MAPLE)
#define DPIDX_DEFAULT_ENCODING		"maple"
#define DPIDX_DEFAULT(name)		dpidx_maple_##name
#define DPIDX_DEFAULT_SWAP_TYPES	DPIDX_MAPLE_SWAP_TYPES
#define dpidx_space			dpidx_maple
#elif defined(DPIDX_ENCODING_TAG)
#define DPIDX_DEFAULT_ENCODING		"tag"
#define DPIDX_DEFAULT(name)		dpidx_tag_##name
#define DPIDX_DEFAULT_SWAP_TYPES	DPIDX_TAG_SWAP_TYPES
#define dpidx_space			dpidx_tag
#elif defined(DPIDX_ENCODING_DIRECT)
#define DPIDX_DEFAULT_ENCODING		"direct"
#define DPIDX_DEFAULT(name)		dpidx_direct_##name
#define DPIDX_DEFAULT_SWAP_TYPES	DPIDX_DIRECT_SWAP_TYPES
#define dpidx_space			dpidx_direct
#else
#error "dpidx: the chosen encoding is not available"
#endif

#define dpidx_init			DPIDX_DEFAULT(init)
#define dpidx_destroy			DPIDX_DEFAULT(destroy)
#define dpidx_map			DPIDX_DEFAULT(map)
#define dpidx_unmap			DPIDX_DEFAULT(unmap)
#define dpidx_offset_to_page		DPIDX_DEFAULT(offset_to_page)
#define dpidx_page_to_offset		DPIDX_DEFAULT(page_to_offset)
#define dpidx_lookup_range		DPIDX_DEFAULT(lookup_range)
#define dpidx_make_swp_pte		DPIDX_DEFAULT(make_swp_pte)
#define dpidx_swp_pte_is_device_private	DPIDX_DEFAULT(swp_pte_is_device_private)
#define dpidx_swp_pte_kind		DPIDX_DEFAULT(swp_pte_kind)
#define dpidx_swp_pte_offset		DPIDX_DEFAULT(swp_pte_offset)
#define dpidx_swp_pte_to_page		DPIDX_DEFAULT(swp_pte_to_page)

#endif /* DPIDX_DPIDX_H */
